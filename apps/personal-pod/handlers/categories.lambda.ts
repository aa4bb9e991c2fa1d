import type { RouteKeyOf } from '../infra/routes';
import { CreateCategoryInput, MoveCategoryInput, categoryTree, createCategory, deleteCategory, moveCategory } from './lib/categories';
import { Route, dispatch, uuidParam } from './lib/dispatch';
import { json, jsonBody, parse } from '../../kit/handlers/http';

const ROUTES: Record<RouteKeyOf<'categories'>, Route> = {
  'GET /api/categories': async (_event, userId) => json(200, { items: await categoryTree(userId) }),

  'POST /api/categories': async (event, userId) => {
    const input = parse(CreateCategoryInput, jsonBody(event.body, event.isBase64Encoded, event.headers ?? {}), 'category');
    return json(201, await createCategory(userId, input));
  },

  'PUT /api/categories/{id}/move': async (event, userId) => {
    const id = uuidParam(event, 'id', 'category');
    const input = parse(MoveCategoryInput, jsonBody(event.body, event.isBase64Encoded, event.headers ?? {}), 'move');
    return json(200, await moveCategory(userId, id, input.parentId));
  },

  'DELETE /api/categories/{id}': async (event, userId) => {
    await deleteCategory(userId, uuidParam(event, 'id', 'category'));
    return { statusCode: 204, headers: { 'cache-control': 'no-store' }, body: '' };
  },
};

/** REST API of the category tree: list, create, move (with its subtree), delete. */
export const handler = dispatch(ROUTES);
