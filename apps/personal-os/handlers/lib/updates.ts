import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from './clients';
import { notFound } from './errors';
import { Item } from './table';

/**
 * Applies a PATCH body to one item: fields set to `null` are removed, the others set, `updatedAt`
 * refreshed; `extra` adds derived attributes (index keys). A 404 when the item is gone.
 */
export async function patchItem(
  key: { pk: string; sk: string },
  body: Record<string, unknown>,
  what: string,
  extra: Record<string, unknown> = {},
  removeExtra: string[] = [],
): Promise<Item> {
  const set: Record<string, unknown> = { ...extra, updatedAt: new Date().toISOString() };
  const remove = [...removeExtra];
  for (const [name, value] of Object.entries(body)) {
    if (value === null) remove.push(name);
    else if (value !== undefined) set[name] = value;
  }
  const names = Object.fromEntries([...Object.keys(set), ...remove].map((n) => [`#${n}`, n]));
  const values = Object.fromEntries(Object.entries(set).map(([n, v]) => [`:${n}`, v]));
  try {
    const out = await ddb().send(new UpdateCommand({
      TableName: tableName(),
      Key: key,
      UpdateExpression: `SET ${Object.keys(set).map((n) => `#${n} = :${n}`).join(', ')}${remove.length ? ` REMOVE ${remove.map((n) => `#${n}`).join(', ')}` : ''}`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    }));
    return out.Attributes!;
  } catch (err) {
    if ((err as Error).name === 'ConditionalCheckFailedException') throw notFound(what);
    throw err;
  }
}
