/**
 * Every route of the CloudVault API and the handler that serves it: the API stack wires these into
 * the SecureRestApi, local mode (local/) serves the same table over HTTP, so the two cannot drift.
 * Handler names are the files apps/cloudvault/handlers/<handler>.lambda.ts.
 */
import type { RouteDefinition as KitRouteDefinition } from '../../kit/infra/route-definition';

export type ApiHandlerName = 'health' | 'folders' | 'files' | 'shares' | 'share-open' | 'analytics' | 'notifications' | 'backup';

/** A CloudVault route (kit/infra/route-definition.ts) served by one of its API handlers. */
export interface RouteDefinition extends KitRouteDefinition {
  readonly handler: ApiHandlerName;
}

export const ROUTES: readonly RouteDefinition[] = [
  { name: 'Health', path: '/api/health', method: 'GET', handler: 'health', publicReason: 'Liveness probe for load balancers and uptime checks; returns no data.' },

  { name: 'ListFolders', path: '/api/folders', method: 'GET', handler: 'folders' },
  { name: 'CreateFolder', path: '/api/folders', method: 'POST', handler: 'folders' },
  { name: 'GetFolder', path: '/api/folders/{id}', method: 'GET', handler: 'folders' },
  { name: 'UpdateFolder', path: '/api/folders/{id}', method: 'PATCH', handler: 'folders' },
  { name: 'DeleteFolder', path: '/api/folders/{id}', method: 'DELETE', handler: 'folders' },

  { name: 'ListFiles', path: '/api/files', method: 'GET', handler: 'files' },
  { name: 'CreateUpload', path: '/api/files', method: 'POST', handler: 'files' },
  { name: 'GetFile', path: '/api/files/{id}', method: 'GET', handler: 'files' },
  { name: 'UpdateFile', path: '/api/files/{id}', method: 'PATCH', handler: 'files' },
  { name: 'DeleteFile', path: '/api/files/{id}', method: 'DELETE', handler: 'files' },
  // Multipart uploads (files over 8 MB): complete with the parts' ETags, or abort.
  { name: 'CompleteUpload', path: '/api/files/{id}/upload', method: 'POST', handler: 'files' },
  { name: 'AbortUpload', path: '/api/files/{id}/upload', method: 'DELETE', handler: 'files' },
  { name: 'ListVersions', path: '/api/files/{id}/versions', method: 'GET', handler: 'files' },
  { name: 'RestoreVersion', path: '/api/files/{id}/versions', method: 'POST', handler: 'files' },

  { name: 'CreateShare', path: '/api/shares', method: 'POST', handler: 'shares' },
  { name: 'ListShares', path: '/api/shares', method: 'GET', handler: 'shares' },
  {
    name: 'OpenShare',
    path: '/api/shares/{token}',
    method: 'GET',
    // Its own function: the public route's role reads links by token and the file's bytes, nothing else.
    handler: 'share-open',
    publicReason: 'Share links are opened by people without an account; the unguessable token (256 bits), expiry, optional password and download limit are the access control.',
  },
  { name: 'RevokeShare', path: '/api/shares/{token}', method: 'DELETE', handler: 'shares' },

  { name: 'RecordEvent', path: '/api/analytics', method: 'POST', handler: 'analytics' },
  { name: 'GetReport', path: '/api/analytics', method: 'GET', handler: 'analytics' },

  { name: 'SendNotification', path: '/api/notifications', method: 'POST', handler: 'notifications' },
  { name: 'ListNotifications', path: '/api/notifications', method: 'GET', handler: 'notifications' },

  { name: 'StartBackup', path: '/api/backup', method: 'POST', handler: 'backup' },
  { name: 'BackupStatus', path: '/api/backup', method: 'GET', handler: 'backup' },
];
