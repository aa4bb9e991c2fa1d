/**
 * Keys and global secondary indexes of the single CloudVault table, as plain data: the data stack
 * builds the SecureTable from it and local mode / tests create the same table in DynamoDB Local,
 * so the two cannot drift. Item layout: src/cloudvault/handlers/lib/keys.ts.
 */
export interface TableIndexSchema {
  readonly indexName: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
}

/** Every key attribute is a string. */
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
} as const;
