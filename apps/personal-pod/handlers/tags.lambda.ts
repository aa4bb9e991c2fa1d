import type { RouteKeyOf } from '../infra/routes';
import { Route, dispatch } from './lib/dispatch';
import { PopularQuery, SuggestQuery, popularTags, suggestTags } from './lib/tags';
import { json, parse } from '../../kit/handlers/http';

const ROUTES: Record<RouteKeyOf<'tags'>, Route> = {
  'GET /api/tags/popular': async (event, userId) => {
    const { limit } = parse(PopularQuery, event.queryStringParameters ?? {}, 'query');
    return json(200, { items: await popularTags(userId, limit) });
  },
  'GET /api/tags/suggest': async (event, userId) => {
    const { prefix, limit } = parse(SuggestQuery, event.queryStringParameters ?? {}, 'query');
    return json(200, { items: await suggestTags(userId, prefix, limit) });
  },
};

/** REST API of the tags: the most used, and completions of a prefix. */
export const handler = dispatch(ROUTES);
