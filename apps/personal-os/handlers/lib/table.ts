import { DeleteCommand, GetCommand, QueryCommand, QueryCommandInput, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from './clients';
import { notFound } from './errors';
import { userPk } from './keys';

export type Item = Record<string, any>;
export type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

/** One item of the user's partition, or undefined. */
export async function getItem(userId: string, sk: string): Promise<Item | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: tableName(), Key: { pk: userPk(userId), sk }, ConsistentRead: true }));
  return out.Item;
}

/** One item of the user's partition, or a 404 naming `what` (also for another user's id). */
export async function getOrNotFound(userId: string, sk: string, what: string): Promise<Item> {
  const item = await getItem(userId, sk);
  if (!item) throw notFound(what);
  return item;
}

/** Every page of a query. */
export async function queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
  const items: Item[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const out = await ddb().send(new QueryCommand({ ...input, TableName: tableName(), ExclusiveStartKey }));
    items.push(...(out.Items ?? []));
    ExclusiveStartKey = out.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

/** The user's items whose sort key starts with `prefix`, oldest key first unless `newestFirst`. */
export function queryPrefix(userId: string, prefix: string, options: { newestFirst?: boolean; limit?: number } = {}): Promise<Item[]> {
  const input = {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': userPk(userId), ':prefix': prefix },
    ScanIndexForward: !options.newestFirst,
  };
  if (options.limit !== undefined) {
    return ddb().send(new QueryCommand({ ...input, TableName: tableName(), Limit: options.limit })).then((o) => o.Items ?? []);
  }
  return queryAll(input);
}

/** Deletes the user's items with these sort keys (one by one: a user's handful of logs). */
export async function deleteAll(userId: string, sks: string[]): Promise<void> {
  for (const sk of sks) await ddb().send(new DeleteCommand({ TableName: tableName(), Key: { pk: userPk(userId), sk } }));
}

/** Runs a transaction; returns the cancellation reasons' codes when a condition failed, else undefined. */
export async function transact(items: TransactItem[]): Promise<string[] | undefined> {
  try {
    await ddb().send(new TransactWriteCommand({ TransactItems: items }));
    return undefined;
  } catch (err) {
    const reasons = (err as { name?: string; CancellationReasons?: { Code?: string }[] });
    if (reasons.name === 'TransactionCanceledException' && reasons.CancellationReasons?.some((r) => r.Code === 'ConditionalCheckFailed')) {
      return reasons.CancellationReasons.map((r) => r.Code ?? 'None');
    }
    throw err;
  }
}
