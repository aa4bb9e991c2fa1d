import { aws_iam as iam } from 'aws-cdk-lib';
import { SecureBucket, SecureTable } from '../../../src';

/**
 * What each CloudVault function may do on the table and the files bucket: exactly the calls its
 * handler's code makes (apps/cloudvault/handlers/<name>.lambda.ts and the lib/ modules it uses),
 * nothing the L2 "read/write data" grants add on top (Scan, BatchGetItem, BatchWriteItem,
 * DescribeTable, unused KMS actions, bucket-wide listing). apps/cloudvault/test/iam-least-privilege.test.ts
 * pins the resulting action set of every role.
 *
 * SDK call -> IAM action: Get/Put/Update/Delete -> GetItem/PutItem/UpdateItem/DeleteItem;
 * TransactWrite -> the action of each item kind (ConditionCheck -> ConditionCheckItem); Powertools
 * idempotency (lib/idempotency.ts) -> GetItem, PutItem, UpdateItem, DeleteItem.
 */
export interface HandlerPermissions {
  /** DynamoDB item actions on the table itself. */
  readonly table?: readonly TableAction[];
  /** Global secondary indexes the handler queries (dynamodb:Query on each, nothing else). */
  readonly indexes?: readonly IndexName[];
  /** Object grants of the files bucket by key pattern (see SecureBucket's grant methods). */
  readonly files?: readonly ObjectGrant[];
}

export type TableAction = 'GetItem' | 'Query' | 'Scan' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'ConditionCheckItem';
export type IndexName = 'FolderChildren' | 'FileSearch' | 'ShareLinks';

/** One SecureBucket grant: `read` = get + list (the handler needs S3's 404 for a missing key). */
export interface ObjectGrant {
  readonly grant: 'read' | 'get' | 'put' | 'delete' | 'abortMultipartUpload' | 'listMultipartUploadParts';
  readonly pattern: string;
}

const WRITES: readonly TableAction[] = ['PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem'];
const IDEMPOTENCY: readonly TableAction[] = ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'];

/** By function (API handler name, or the event/scheduled function's handler name). */
export const HANDLER_PERMISSIONS: Record<string, HandlerPermissions> = {
  'health': {},
  // Hierarchy transactions (folderOp, name guards, counters); recursive deletes remove the files
  // inside: their objects and thumbnails, and abort their unfinished multipart uploads (issue 17 Low).
  'folders': {
    table: ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem'],
    indexes: ['FolderChildren'],
    files: [{ grant: 'delete', pattern: 'tenants/*' }, { grant: 'abortMultipartUpload', pattern: 'tenants/*' }, { grant: 'delete', pattern: 'thumbnails/*' }],
  },
  // Presigned uploads (single, multipart) and downloads pinned to a version, restores by copy,
  // deletes. HeadObject must tell a missing upload (404) from a denied one: hence the bucket listing.
  // A completion without a part list reads the upload's parts (ListParts).
  'files': {
    table: ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem'],
    indexes: ['FolderChildren', 'FileSearch'],
    files: [
      { grant: 'read', pattern: 'tenants/*' }, { grant: 'put', pattern: 'tenants/*' }, { grant: 'delete', pattern: 'tenants/*' },
      { grant: 'listMultipartUploadParts', pattern: 'tenants/*' },
      { grant: 'get', pattern: 'thumbnails/*' }, { grant: 'delete', pattern: 'thumbnails/*' },
    ],
  },
  // Signed-in routes only: create (a transaction: file check + link put), list (FileSearch), revoke.
  'shares': {
    table: ['GetItem', 'PutItem', 'DeleteItem', 'ConditionCheckItem'],
    indexes: ['FileSearch'],
  },
  // The public GET /api/shares/{token}: find the link by token, count a wrong password or a
  // download, read the file's current version, sign a download, store the share_opened event.
  'share-open': {
    table: ['GetItem', 'UpdateItem', 'PutItem'],
    indexes: ['ShareLinks'],
    files: [{ grant: 'get', pattern: 'tenants/*' }],
  },
  'analytics': { table: [...IDEMPOTENCY, 'Query'] },
  // Reads the target user, writes its per-user rate counter (RATE#NOTIFY#...), lists notifications.
  'notifications': { table: ['GetItem', 'Query', 'UpdateItem'] },
  // On-demand exports: records them (RUNNING, or FAILED when the queue refuses the job), lists
  // and reads them; the export itself is the backup-export worker's (no S3 here).
  'backup': { table: ['GetItem', 'Query', 'PutItem'] },
  // Cognito post-authentication trigger: upserts the USER item.
  'user-sync': { table: ['UpdateItem'] },
  // Event and scheduled functions (events stack).
  'file-processor': {
    table: ['GetItem', 'UpdateItem'],
    // GetObject/HeadObject must see NoSuchKey for an object deleted meanwhile: read lists too.
    files: [
      { grant: 'read', pattern: 'tenants/*' }, { grant: 'delete', pattern: 'tenants/*' },
      { grant: 'put', pattern: 'thumbnails/*' }, { grant: 'put', pattern: 'quarantine/*' },
    ],
  },
  // The daily table backup (recovery stack, backup.lambda.ts scheduled mode) records its job.
  'scheduled-backup': { table: ['GetItem', 'PutItem', 'UpdateItem'] },
  'notification-worker': { table: [...IDEMPOTENCY] },
  // Reads the export's record and the tenant's partition, writes the export and reads it back
  // (verification), finishes the record.
  'backup-export': {
    table: ['GetItem', 'Query', 'UpdateItem'],
    files: [{ grant: 'put', pattern: 'backups/*' }, { grant: 'get', pattern: 'backups/*' }],
  },
  'analytics-aggregator': { table: ['Query', 'PutItem'] },
  // Expired share links are found by a Scan (they span every tenant's partition); stale uploads are
  // aborted and what an abandoned new file left behind is deleted.
  'cleanup': {
    table: ['GetItem', 'Query', 'Scan', 'UpdateItem', 'DeleteItem'],
    files: [
      { grant: 'abortMultipartUpload', pattern: 'tenants/*' }, { grant: 'delete', pattern: 'tenants/*' }, { grant: 'delete', pattern: 'thumbnails/*' },
    ],
  },
};

/**
 * Grants `fn` exactly `permissions` on the table (and its key) and the files bucket. The table key:
 * kms:Decrypt and kms:DescribeKey to use the table, kms:Encrypt and kms:GenerateDataKey with writes;
 * DynamoDB never calls ReEncrypt or GenerateDataKeyWithoutPlaintext for a caller.
 */
export function grantHandlerPermissions(fn: iam.IGrantable, permissions: HandlerPermissions, table: SecureTable, files?: SecureBucket): void {
  const actions = permissions.table ?? [];
  if (actions.length > 0) {
    iam.Grant.addToPrincipal({ grantee: fn, actions: actions.map((a) => `dynamodb:${a}`), resourceArns: [table.table.tableArn] });
  }
  const indexes = permissions.indexes ?? [];
  if (indexes.length > 0) {
    iam.Grant.addToPrincipal({ grantee: fn, actions: ['dynamodb:Query'], resourceArns: indexes.map((i) => `${table.table.tableArn}/index/${i}`) });
  }
  if (actions.length > 0 || indexes.length > 0) {
    const writes = actions.some((a) => WRITES.includes(a));
    table.encryptionKey.grant(fn, 'kms:Decrypt', 'kms:DescribeKey', ...(writes ? ['kms:Encrypt', 'kms:GenerateDataKey'] : []));
  }
  for (const { grant, pattern } of permissions.files ?? []) {
    if (!files) throw new Error(`files bucket grant "${grant}" on ${pattern} without a bucket`);
    if (grant === 'read') files.grantRead(fn, pattern);
    else if (grant === 'get') files.grantGet(fn, pattern);
    else if (grant === 'put') files.grantPut(fn, pattern);
    else if (grant === 'delete') files.grantDelete(fn, pattern);
    else if (grant === 'abortMultipartUpload') files.grantAbortMultipartUpload(fn, pattern);
    else files.grantListMultipartUploadParts(fn, pattern);
  }
}
