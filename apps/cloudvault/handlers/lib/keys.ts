/**
 * The single-table key design (table and GSIs: src/cloudvault/table-schema.ts). Every key the
 * handlers read or write is built here, so the layout below is the whole of it.
 *
 * Every item of a tenant lives in the partition `TENANT#<tenantId>` (tenantPk), so a key built
 * from the caller's tenant can never address another tenant's item. Sort keys:
 *
 * | sk                               | item                                                     | helpers                        |
 * |----------------------------------|----------------------------------------------------------|--------------------------------|
 * | `TENANT`                         | tenant profile: quota, stored-bytes counter               | tenantKey                      |
 * | `USER#<userId>`                  | user: `email`, `groups` (gsi1, see below)                 | userKey                        |
 * | `FOLDER#<folderId>`              | folder (gsi2)                                             | folderKey, FOLDER_PREFIX       |
 * | `FILE#<fileId>`                  | file metadata (gsi2, gsi3)                                | fileKey, FILE_PREFIX           |
 * | `FILE#<fileId>#VERSION#<ver>`    | file version (`<ver>` zero-padded to 6 digits)            | versionKey, versionPrefix      |
 * | `NAME#<parentId or ROOT>#<name>` | uniqueness guard: one folder or file per name in a parent  | nameGuardKey                   |
 * | `SHARE#<token>`                  | share link (gsi3, gsi4)                                   | shareKey, SHARE_PREFIX         |
 * | `EVENT#<yyyy-mm-dd>#<time>#<id>` | raw analytics event (expires after 90 days)               | analyticsEventSk, eventDayPrefix |
 * | `DAILY#<yyyy-mm-dd>`             | analytics daily aggregate                                 | dailyKey                       |
 * | `NOTIF#<userId>#<time>#<id>`     | in-app notification of one user                           | notificationSk, notificationPrefix |
 * | `BACKUP#<backupId>`              | on-demand backup (export) and its verification            | backupKey, BACKUP_PREFIX       |
 * | `RATE#<what>#<userId>#<window>`  | a user's request counter for one window (expires)          | rateKey                        |
 *
 * Items outside tenant partitions hold no tenant data:
 *
 * | pk                         | sk                        | item                                                     | helpers            |
 * |----------------------------|---------------------------|----------------------------------------------------------|--------------------|
 * | `ACTIVE#<yyyy-mm-dd>`      | `TENANT#<tenantId>`       | the tenant has analytics events that day (aggregation work list) | activeTenantKey |
 * | `SCHEDULED_BACKUP`         | `DAY#<yyyy-mm-dd>`        | that day's scheduled table backup (job id, verification) | scheduledBackupKey |
 * | `idempotency#<operation>`  | `<operation>#<sha256>`    | Powertools idempotency record (a hash and a cached response) | idempotencyPk  |
 *
 * GSI keys. Those that are per tenant also start with `TENANT#<tenantId>`, for the same reason:
 *
 * | index (attributes)    | partition key                           | sort key                          | items       | helpers         |
 * |-----------------------|-----------------------------------------|-----------------------------------|-------------|-----------------|
 * | UserByEmail (gsi1)    | `EMAIL#<email, lower case>`             | -                                 | users       | emailIndexPk    |
 * | FolderChildren (gsi2) | `TENANT#<t>#PARENT#<parentId or ROOT>`  | `FOLDER#<name>` / `FILE#<name>`   | folders, files | childIndex, childSkPrefix |
 * | FileSearch (gsi3)     | `TENANT#<t>#FILES`                      | `<createdAt>#<fileId>`            | files       | fileSearchIndex |
 * | FileSearch (gsi3)     | `TENANT#<t>#SHARES`                     | `<createdAt>#<token>`             | share links | shareListIndex  |
 * | ShareLinks (gsi4)     | `SHARE#<token>`                         | -                                 | share links | shareIndexPk    |
 *
 * (`<name>` in keys is nameKey(name): NFC, lower case.)
 */

/** GSI names, as in table-schema.ts. */
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
export const SHARE_PREFIX = 'SHARE#';
export const BACKUP_PREFIX = 'BACKUP#';

export const tenantKey = (tenantId: string): Key => ({ pk: tenantPk(tenantId), sk: 'TENANT' });
export const userKey = (tenantId: string, userId: string): Key => ({ pk: tenantPk(tenantId), sk: `USER#${userId}` });
export const folderKey = (tenantId: string, folderId: string): Key => ({ pk: tenantPk(tenantId), sk: `${FOLDER_PREFIX}${folderId}` });
export const fileKey = (tenantId: string, fileId: string): Key => ({ pk: tenantPk(tenantId), sk: `${FILE_PREFIX}${fileId}` });
export const shareKey = (tenantId: string, token: string): Key => ({ pk: tenantPk(tenantId), sk: `${SHARE_PREFIX}${token}` });

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
  return { gsi2pk: `${tenantPk(tenantId)}#PARENT#${parentId ?? ROOT}`, gsi2sk: childSkPrefix(kind, nameKey(name)) };
}

/**
 * FolderChildren sort key prefix: the children of one kind, optionally only those whose name key
 * starts with `namePrefix` (already a nameKey: it is not normalized again).
 */
export const childSkPrefix = (kind: 'FOLDER' | 'FILE', namePrefix = ''): string => `${kind}#${namePrefix}`;

/** UserByEmail GSI partition key (e-mail addresses are globally unique in the user pool). */
export const emailIndexPk = (email: string): string => `EMAIL#${email.toLowerCase()}`;

/** ShareLinks GSI partition key: public share routes find a link by its token alone. */
export const shareIndexPk = (token: string): string => `SHARE#${token}`;

/** Sort key prefix of all versions of a file (`FILE#<fileId>#VERSION#`). */
export const versionPrefix = (fileId: string): string => `${FILE_PREFIX}${fileId}#VERSION#`;
/** A file version's sort key; versions are numbered from 1 and zero-padded so they sort. */
export const versionSk = (fileId: string, version: number): string => `${versionPrefix(fileId)}${String(version).padStart(6, '0')}`;
export const versionKey = (tenantId: string, fileId: string, version: number): Key => ({ pk: tenantPk(tenantId), sk: versionSk(fileId, version) });

/** FileSearch GSI: every file of a tenant, sorted by creation time (date ranges); name and type are filters. */
export const fileSearchIndex = (tenantId: string, createdAt: string, fileId: string) => ({ gsi3pk: `${tenantPk(tenantId)}#FILES`, gsi3sk: `${createdAt}#${fileId}` });

/**
 * Share links listed newest first: the FileSearch index (gsi3) in a partition of their own,
 * `TENANT#<t>#SHARES`, next to the tenant's `#FILES`.
 */
export const shareListIndex = (tenantId: string, createdAt: string, token: string) => ({ gsi3pk: `${tenantPk(tenantId)}#SHARES`, gsi3sk: `${createdAt}#${token}` });

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

/** Sort key prefix of a day's raw analytics events (`EVENT#<day>#`). */
export const eventDayPrefix = (day: string): string => `EVENT#${day}#`;
export const analyticsEventSk = (day: string, at: string, id: string): string => `${eventDayPrefix(day)}${at}#${id}`;
export const dailyKey = (tenantId: string, day: string): Key => ({ pk: tenantPk(tenantId), sk: `DAILY#${day}` });
export const activeTenantKey = (day: string, tenantId: string): Key => ({ pk: `ACTIVE#${day}`, sk: tenantPk(tenantId) });
/** Sort key prefix of one user's in-app notifications (`NOTIF#<userId>#`). */
export const notificationPrefix = (userId: string): string => `NOTIF#${userId}#`;
export const notificationSk = (userId: string, at: string, id: string): string => `${notificationPrefix(userId)}${at}#${id}`;
export const backupKey = (tenantId: string, backupId: string): Key => ({ pk: tenantPk(tenantId), sk: `${BACKUP_PREFIX}${backupId}` });

/**
 * Key of the record of one day's scheduled table backup. It holds no tenant data (a job id of
 * the whole table), so it lives outside the tenant partitions, like the idempotency records.
 */
export const scheduledBackupKey = (day: string): Key => ({ pk: 'SCHEDULED_BACKUP', sk: `DAY#${day}` });

/** Partition of the Powertools idempotency records of one operation (lib/idempotency.ts). */
export const idempotencyPk = (operation: string): string => `idempotency#${operation}`;

/** A user's counter of `what` (e.g. `NOTIFY`) in one time window (`2026-01-31T12` for an hour). */
export const rateKey = (tenantId: string, what: string, userId: string, window: string): Key => ({ pk: tenantPk(tenantId), sk: `RATE#${what}#${userId}#${window}` });
