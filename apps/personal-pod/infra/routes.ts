import type { RouteDefinition } from '../../kit/infra/route-definition';

/**
 * Every route of PersonalPod's REST API, declared once: the API stack wires these into the
 * SecureRestApi, local mode serves the same table over HTTP and each handler dispatches on
 * `<method> <path>` of its own entries, so the three cannot drift.
 */
export const ROUTES = [
  { name: 'ListEntries', path: '/api/entries', method: 'GET', handler: 'entries' },
  { name: 'CreateEntry', path: '/api/entries', method: 'POST', handler: 'entries' },
  { name: 'GetEntry', path: '/api/entries/{id}', method: 'GET', handler: 'entries' },
  { name: 'UpdateEntry', path: '/api/entries/{id}', method: 'PUT', handler: 'entries' },
  { name: 'DeleteEntry', path: '/api/entries/{id}', method: 'DELETE', handler: 'entries' },
  { name: 'ListEntryVersions', path: '/api/entries/{id}/versions', method: 'GET', handler: 'entries' },
  { name: 'LockEntry', path: '/api/entries/{id}/lock', method: 'POST', handler: 'entries' },
  { name: 'UnlockEntry', path: '/api/entries/{id}/lock', method: 'DELETE', handler: 'entries' },
  { name: 'ListCategories', path: '/api/categories', method: 'GET', handler: 'categories' },
  { name: 'CreateCategory', path: '/api/categories', method: 'POST', handler: 'categories' },
  { name: 'MoveCategory', path: '/api/categories/{id}/move', method: 'PUT', handler: 'categories' },
  { name: 'DeleteCategory', path: '/api/categories/{id}', method: 'DELETE', handler: 'categories' },
  { name: 'PopularTags', path: '/api/tags/popular', method: 'GET', handler: 'tags' },
  { name: 'SuggestTags', path: '/api/tags/suggest', method: 'GET', handler: 'tags' },
  { name: 'CreateAttachment', path: '/api/entries/{id}/attachments', method: 'POST', handler: 'attachments' },
  { name: 'ListAttachments', path: '/api/entries/{id}/attachments', method: 'GET', handler: 'attachments' },
  { name: 'GetAttachment', path: '/api/attachments/{id}', method: 'GET', handler: 'attachments' },
  { name: 'GetAttachmentThumbnail', path: '/api/attachments/{id}/thumb', method: 'GET', handler: 'attachments' },
  { name: 'DeleteAttachment', path: '/api/attachments/{id}', method: 'DELETE', handler: 'attachments' },
  { name: 'SearchEntries', path: '/api/search', method: 'GET', handler: 'search' },
] as const satisfies readonly RouteDefinition[];

/** The handlers behind the REST routes (apps/personal-pod/handlers/<name>.lambda.ts). */
export type ApiHandlerName = (typeof ROUTES)[number]['handler'];

/** `GET /api/entries/{id}` of one handler: the keys its dispatch must cover. */
export type RouteKeyOf<H extends ApiHandlerName> = Extract<(typeof ROUTES)[number], { handler: H }> extends infer R
  ? R extends { method: infer M extends string; path: infer P extends string } ? `${M} ${P}` : never : never;

/** Name of the application's database and of the database user its handlers connect as (IAM auth). */
export const DATABASE_NAME = 'personal_pod';
export const APP_DB_USER = 'personal_pod_app';

/** The OpenSearch index of the entries (one document per entry, `userId` on every document). */
export const SEARCH_INDEX = 'entries';
