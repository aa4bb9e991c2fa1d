/**
 * The single-table key design (table and GSIs defined in src/cloudvault/data-stack.ts).
 *
 * Every item of a tenant lives in the partition `TENANT#<tenantId>`, so a key built from the
 * caller's tenant can never address another tenant's item. Sort key prefixes:
 *
 * | sk                               | item                                                     |
 * |----------------------------------|----------------------------------------------------------|
 * | `TENANT`                         | tenant profile: quota, stored-bytes counter               |
 * | `USER#<userId>`                  | user (GSI UserByEmail: gsi1pk = `EMAIL#<email>`)           |
 * | `FOLDER#<folderId>`              | folder (GSI FolderChildren: children of its parent)        |
 * | `FILE#<fileId>`                  | file metadata (FolderChildren + FileSearch)                |
 * | `FILE#<fileId>#VERSION#<ver>`    | file version                                              |
 * | `NAME#<parentId or ROOT>#<name>` | uniqueness guard: one folder or file per name in a parent  |
 * | `SHARE#<token>`                  | share link (GSI ShareLinks: gsi4pk = `SHARE#<token>`)      |
 * | `EVENT#<yyyy-mm-dd>#<time>#<id>` | raw analytics event (expires after 90 days)               |
 * | `DAILY#<yyyy-mm-dd>`             | analytics daily aggregate                                 |
 * | `NOTIF#<userId>#<time>#<id>`     | in-app notification of one user                           |
 * | `BACKUP#<backupId>`              | on-demand backup (export) and its verification            |
 *
 * Outside tenant partitions: `ACTIVE#<yyyy-mm-dd>` / `TENANT#<id>` marks a tenant with analytics
 * events that day (the daily aggregation job's work list), and Powertools idempotency records
 * (`idempotency#<function>` / hash), which hold no tenant data but a hash and a cached response.
 *
 * GSI partition keys that are per tenant also start with `TENANT#<tenantId>` for the same reason.
 */

/** GSI names, as in data-stack.ts. */
export const GSI = {
  userByEmail: 'UserByEmail',
  folderChildren: 'FolderChildren',
  fileSearch: 'FileSearch',
  shareLinks: 'ShareLinks',
} as const;

/** Parent id used in keys for items at the top level of a tenant's tree. */
export const ROOT = 'ROOT';

export interface Key {
  readonly pk: string;
  readonly sk: string;
}

export const tenantPk = (tenantId: string): string => `TENANT#${tenantId}`;

export const FOLDER_PREFIX = 'FOLDER#';
export const FILE_PREFIX = 'FILE#';

export const tenantKey = (tenantId: string): Key => ({ pk: tenantPk(tenantId), sk: 'TENANT' });
export const userKey = (tenantId: string, userId: string): Key => ({ pk: tenantPk(tenantId), sk: `USER#${userId}` });
export const folderKey = (tenantId: string, folderId: string): Key => ({ pk: tenantPk(tenantId), sk: `${FOLDER_PREFIX}${folderId}` });
export const fileKey = (tenantId: string, fileId: string): Key => ({ pk: tenantPk(tenantId), sk: `${FILE_PREFIX}${fileId}` });
export const shareKey = (tenantId: string, token: string): Key => ({ pk: tenantPk(tenantId), sk: `SHARE#${token}` });

/**
 * Names are unique per parent regardless of case (as on the desktop file systems users sync
 * with): `Reports` and `reports` cannot sit side by side.
 */
export const nameKey = (name: string): string => name.normalize('NFC').toLowerCase();

/** The guard item that makes `name` unique among the children (folders and files) of `parentId`. */
export const nameGuardKey = (tenantId: string, parentId: string | undefined, name: string): Key => ({
  pk: tenantPk(tenantId),
  sk: `NAME#${parentId ?? ROOT}#${nameKey(name)}`,
});

/** FolderChildren GSI attributes of an item (folder or file) inside `parentId`. */
export function childIndex(tenantId: string, parentId: string | undefined, kind: 'FOLDER' | 'FILE', name: string) {
  return { gsi2pk: `${tenantPk(tenantId)}#PARENT#${parentId ?? ROOT}`, gsi2sk: `${kind}#${nameKey(name)}` };
}

/** UserByEmail GSI partition key (e-mail addresses are globally unique in the user pool). */
export const emailIndexPk = (email: string): string => `EMAIL#${email.toLowerCase()}`;

/** ShareLinks GSI partition key: public share routes find a link by its token alone. */
export const shareIndexPk = (token: string): string => `SHARE#${token}`;

/** A file version's sort key; versions are numbered from 1 and zero-padded so they sort. */
export const versionSk = (fileId: string, version: number): string => `${FILE_PREFIX}${fileId}#VERSION#${String(version).padStart(6, '0')}`;
export const versionKey = (tenantId: string, fileId: string, version: number): Key => ({ pk: tenantPk(tenantId), sk: versionSk(fileId, version) });

/** FileSearch GSI: every file of a tenant, sorted by creation time (date ranges); name and type are filters. */
export const fileSearchIndex = (tenantId: string, createdAt: string, fileId: string) => ({ gsi3pk: `${tenantPk(tenantId)}#FILES`, gsi3sk: `${createdAt}#${fileId}` });

/**
 * S3 object keys. Everything of a tenant lives under `tenants/<tenantId>/`; the fileProcessor only
 * reacts to `tenants/` keys, so its own writes (thumbnails/, quarantine/) never trigger it again.
 */
export const TENANT_OBJECT_PREFIX = 'tenants/';
export const objectKey = (tenantId: string, fileId: string, version: number): string => `${TENANT_OBJECT_PREFIX}${tenantId}/files/${fileId}/v${version}`;
export const thumbnailKey = (tenantId: string, fileId: string, version: number): string => `thumbnails/${tenantId}/files/${fileId}/v${version}.webp`;
export const quarantineKey = (tenantId: string, fileId: string, version: number): string => `quarantine/${tenantId}/files/${fileId}/v${version}`;
export const backupObjectKey = (tenantId: string, backupId: string): string => `backups/${tenantId}/${backupId}.json`;

/** Parses `tenants/<tenantId>/files/<fileId>/v<version>`; undefined for any other key. */
export function parseObjectKey(key: string): { tenantId: string; fileId: string; version: number } | undefined {
  const m = /^tenants\/([A-Za-z0-9_-]{1,64})\/files\/([0-9a-f-]{36})\/v(\d{1,6})$/.exec(key);
  return m ? { tenantId: m[1], fileId: m[2], version: Number(m[3]) } : undefined;
}

export const analyticsEventSk = (day: string, at: string, id: string): string => `EVENT#${day}#${at}#${id}`;
export const dailyKey = (tenantId: string, day: string): Key => ({ pk: tenantPk(tenantId), sk: `DAILY#${day}` });
export const activeTenantKey = (day: string, tenantId: string): Key => ({ pk: `ACTIVE#${day}`, sk: tenantPk(tenantId) });
export const notificationSk = (userId: string, at: string, id: string): string => `NOTIF#${userId}#${at}#${id}`;
export const backupKey = (tenantId: string, backupId: string): Key => ({ pk: tenantPk(tenantId), sk: `BACKUP#${backupId}` });
