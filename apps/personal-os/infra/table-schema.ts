import type { TableSchema } from '../../kit/infra/table-schema';

/**
 * The single Personal OS table. Every item of a user lives under `pk = USER#<id>` (layout:
 * handlers/lib/keys.ts); the indexes list a user's tasks or goals by status and by area, their
 * partition keys carry the user too.
 */
export const TABLE_SCHEMA: TableSchema = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds: idempotency records expire. */
  timeToLiveAttribute: 'expiresAt',
  globalSecondaryIndexes: [
    // `USER#<id>#TASK#<status>` / `USER#<id>#GOAL#<status>`, sorted by item key (ULIDs: creation order).
    { indexName: 'ByStatus', partitionKey: 'statusKey', sortKey: 'sk' },
    // `USER#<id>#AREA#<area>`: tasks, goals, habits and metrics of one life area.
    { indexName: 'ByArea', partitionKey: 'areaKey', sortKey: 'sk' },
  ],
};
