/** DynamoDB Local with the two patch-tracker tables (schema from infra/table-schema.ts). */
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbLocal, startDynamoDbLocal } from '../../../kit/local/dynamodb-local';
import { DISCUSSIONS_TABLE, PATCHES_TABLE } from '../../infra/table-schema';

export interface TrackerTables {
  readonly db: DynamoDbLocal;
  readonly doc: DynamoDBDocumentClient;
  /** Fresh, empty tables; sets PATCHES_TABLE / DISCUSSIONS_TABLE for the handlers. */
  fresh(): Promise<{ patches: string; discussions: string }>;
  /** Every item of a table. */
  items(table: string): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

export async function startTrackerTables(): Promise<TrackerTables> {
  const db = await startDynamoDbLocal();
  process.env.DYNAMODB_ENDPOINT = db.endpoint;
  const doc = DynamoDBDocumentClient.from(db.client);
  let n = 0;
  return {
    db,
    doc,
    async fresh() {
      n++;
      const patches = await db.createTable(PATCHES_TABLE, `patches-${n}`);
      const discussions = await db.createTable(DISCUSSIONS_TABLE, `discussions-${n}`);
      process.env.PATCHES_TABLE = patches;
      process.env.DISCUSSIONS_TABLE = discussions;
      return { patches, discussions };
    },
    async items(table) {
      const out = await doc.send(new ScanCommand({ TableName: table }));
      return out.Items ?? [];
    },
    stop: () => db.stop(),
  };
}
