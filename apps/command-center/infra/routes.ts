import type { RouteDefinition } from '../../kit/infra/route-definition';

/**
 * Every route of the command center's REST API, declared once: the API stack wires these into the
 * SecureRestApi, local mode serves the same table over HTTP and the commands handler dispatches on
 * `<method> <path>` of the same entries, so the three cannot drift.
 */
export const ROUTES = [
  { name: 'ListCommands', path: '/api/commands', method: 'GET', handler: 'commands' },
  { name: 'CreateCommand', path: '/api/commands', method: 'POST', handler: 'commands' },
  { name: 'GetCommand', path: '/api/commands/{id}', method: 'GET', handler: 'commands' },
  { name: 'UpdateCommandStatus', path: '/api/commands/{id}/status', method: 'PUT', handler: 'commands' },
] as const satisfies readonly RouteDefinition[];

/** The handlers behind the REST routes (apps/command-center/handlers/<name>.lambda.ts). */
export type ApiHandlerName = (typeof ROUTES)[number]['handler'];

/** `GET /api/commands/{id}`: the key a handler's dispatch uses for a route. */
export type RouteKey = (typeof ROUTES)[number] extends infer R ? R extends { method: infer M extends string; path: infer P extends string } ? `${M} ${P}` : never : never;

/** Roles (Cognito groups, `cognito:groups`): a viewer reads, an operator also commands, an admin too. */
export const ROLES = ['admin', 'operator', 'viewer'] as const;

/** Name of the application's database and of the database user its handlers connect as (IAM auth). */
export const DATABASE_NAME = 'command_center';
export const APP_DB_USER = 'command_center_app';
