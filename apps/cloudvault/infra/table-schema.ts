import type { TableIndexSchema, TableSchema } from '../../kit/infra/table-schema';

/**
 * Keys and global secondary indexes of the single CloudVault table (kit/infra/table-schema.ts).
 * Item layout: apps/cloudvault/handlers/lib/keys.ts.
 */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB deletes the item after it (expired shares, raw analytics events, idempotency records). */
  timeToLiveAttribute: 'expiresAt',
  globalSecondaryIndexes: [
    { indexName: 'UserByEmail', partitionKey: 'gsi1pk' },
    { indexName: 'FolderChildren', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    { indexName: 'FileSearch', partitionKey: 'gsi3pk', sortKey: 'gsi3sk' },
    { indexName: 'ShareLinks', partitionKey: 'gsi4pk' },
  ] as readonly TableIndexSchema[],
} as const satisfies TableSchema;
