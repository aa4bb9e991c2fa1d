import { GetCommand, QueryCommand, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from './clients';
import { Key } from './keys';

export interface GetItemOptions {
  /**
   * Read consistently: the read decides what a write may do next. `false` where a slightly stale
   * answer does no harm (an existence check before a listing, a lookup before a send).
   * @default true
   */
  readonly consistent?: boolean;
  /** Only these attributes (a projection); all when omitted. */
  readonly attributes?: readonly string[];
}

/** One item of the table by key, read consistently unless `options` says otherwise. */
export async function getItem<T = Record<string, unknown>>(key: Key, options: GetItemOptions = {}): Promise<T | undefined> {
  const names = options.attributes?.length ? Object.fromEntries(options.attributes.map((a, i) => [`#a${i}`, a])) : undefined;
  const res = await ddb().send(new GetCommand({
    TableName: tableName(),
    Key: key,
    ConsistentRead: options.consistent ?? true,
    ...(names ? { ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names } : {}),
  }));
  return res.Item as T | undefined;
}


/** Every item of a query, following pagination (for bounded sets: a folder's children, one tenant's export). */
export async function queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ddb().send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}
