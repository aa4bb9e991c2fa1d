import { QueryCommand, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { ddb } from './clients';

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
