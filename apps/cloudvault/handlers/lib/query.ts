import { GetCommand, QueryCommand, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from './clients';
import { Key } from './keys';

/** One item of the table by key, read consistently (the read decides what a write may do next). */
export async function getItem<T = Record<string, unknown>>(key: Key): Promise<T | undefined> {
  const res = await ddb().send(new GetCommand({ TableName: tableName(), Key: key, ConsistentRead: true }));
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
