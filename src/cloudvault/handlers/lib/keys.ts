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
