/**
 * DynamoDB Local runs without `-sharedDb`, so it keeps one database per access key. Tests that
 * also use the S3 emulator give the handlers the emulator's key (S3_EMULATOR_CREDENTIALS, read
 * from the environment by every client), so their table must be created with that key too.
 *
 * TODO(lead): start DynamoDB Local with `-sharedDb` in local/dynamodb-local.ts; then
 * `db.createTable()` works for these tests and this file can go.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbLocal } from '../../../local/dynamodb-local';
import { TABLE_SCHEMA } from '../../../src/cloudvault/table-schema';

/** A client for `db` with `credentials`, and a CloudVault table (TABLE_SCHEMA) created with it. */
export async function tableWithCredentials(db: DynamoDbLocal, credentials: { accessKeyId: string; secretAccessKey: string }, name = 'cloudvault'): Promise<{ client: DynamoDBClient; tableName: string }> {
  const client = new DynamoDBClient({ endpoint: db.endpoint, region: process.env.AWS_REGION ?? 'eu-west-1', credentials, maxAttempts: 1 });
  const key = (pk: string, sk?: string) => [{ AttributeName: pk, KeyType: 'HASH' as const }, ...(sk ? [{ AttributeName: sk, KeyType: 'RANGE' as const }] : [])];
  const attributes = new Set<string>([TABLE_SCHEMA.partitionKey, TABLE_SCHEMA.sortKey]);
  for (const gsi of TABLE_SCHEMA.globalSecondaryIndexes) [gsi.partitionKey, gsi.sortKey].forEach((a) => a && attributes.add(a));
  await client.send(new CreateTableCommand({
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map((a) => ({ AttributeName: a, AttributeType: 'S' as const })),
    KeySchema: key(TABLE_SCHEMA.partitionKey, TABLE_SCHEMA.sortKey),
    GlobalSecondaryIndexes: TABLE_SCHEMA.globalSecondaryIndexes.map((gsi) => ({
      IndexName: gsi.indexName,
      KeySchema: key(gsi.partitionKey, gsi.sortKey),
      Projection: { ProjectionType: 'ALL' as const },
    })),
  }));
  return { client, tableName: name };
}
