import type { RouteKeyOf } from '../infra/routes';
import { Route, dispatch } from './lib/dispatch';
import { SearchQuery, searchEntries } from './lib/search-query';
import { json, parse } from '../../kit/handlers/http';

const ROUTES: Record<RouteKeyOf<'search'>, Route> = {
  'GET /api/search': async (event, userId) => {
    const query = parse(SearchQuery, event.queryStringParameters ?? {}, 'search');
    return json(200, await searchEntries(userId, query));
  },
};

/** Full-text search over the user's entries (OpenSearch), with filters and facets. */
export const handler = dispatch(ROUTES);
