/**
 * Every route of the patch-tracker read API and the handler that serves it: the API stack wires
 * these into the SecureRestApi and local mode serves the same table over HTTP.
 * Patches are public data, but the API is for signed-in users (Cognito) like the rest of the family.
 */
import { RouteDefinition } from '../../kit/infra/route-definition';

export type ApiHandlerName = 'patches';

export interface PatchTrackerRoute extends RouteDefinition {
  readonly handler: ApiHandlerName;
}

export const ROUTES: readonly PatchTrackerRoute[] = [
  // ?status=new | ?submitter=a@b.org | ?series=123, with ?limit= and ?cursor= (newest first).
  { name: 'ListPatches', path: '/api/patches', method: 'GET', handler: 'patches' },
  // The patch and its mailing-list discussion (oldest message first).
  { name: 'GetPatch', path: '/api/patches/{id}', method: 'GET', handler: 'patches' },
];
