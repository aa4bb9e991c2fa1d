/**
 * Keys and global secondary indexes of the two patch-tracker tables, as plain data: the data stack
 * builds the SecureTables from it, and tests and local mode create the same tables in DynamoDB
 * Local, so the two cannot drift. Every key attribute is a string.
 */
import { TableSchema } from '../../kit/infra/table-schema';

/**
 * Patches, one item per Patchwork patch (`id` = Patchwork's patch id). The indexes sort by the
 * submission date (ISO 8601), newest first when read backwards.
 */
export const PATCHES_TABLE: TableSchema = {
  partitionKey: 'id',
  globalSecondaryIndexes: [
    { indexName: 'SubmitterIndex', partitionKey: 'submitterEmail', sortKey: 'date' },
    { indexName: 'SeriesIndex', partitionKey: 'seriesId', sortKey: 'date' },
    { indexName: 'StatusIndex', partitionKey: 'state', sortKey: 'date' },
  ],
};

/**
 * Discussions, one item per mailing-list message (`id` = its Message-ID, `timestamp` = its Date).
 * PatchIndex is sparse: only messages matched to a patch carry `patchId`.
 */
export const DISCUSSIONS_TABLE: TableSchema = {
  partitionKey: 'id',
  sortKey: 'timestamp',
  globalSecondaryIndexes: [
    { indexName: 'PatchIndex', partitionKey: 'patchId', sortKey: 'timestamp' },
    { indexName: 'ThreadIndex', partitionKey: 'threadId', sortKey: 'timestamp' },
    { indexName: 'AuthorIndex', partitionKey: 'authorEmail', sortKey: 'timestamp' },
  ],
};
