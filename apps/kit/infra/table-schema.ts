/**
 * Keys and global secondary indexes of a DynamoDB table as plain data: an app's data stack builds its
 * SecureTable from it and local mode / tests create the same table in DynamoDB Local
 * (local/dynamodb-local.ts), so the two cannot drift. Every key attribute is a string.
 */
export interface TableIndexSchema {
  readonly indexName: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
}

export interface TableSchema {
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** Epoch seconds; DynamoDB deletes the item after it. */
  readonly timeToLiveAttribute?: string;
  readonly globalSecondaryIndexes: readonly TableIndexSchema[];
}
