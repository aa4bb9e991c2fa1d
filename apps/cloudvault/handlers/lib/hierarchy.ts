/**
 * The invariants of a tenant's tree, shared by folders and files (folderService, fileService):
 * - names are unique per parent, case-insensitively: a `NAME#<parent>#<name>` guard item is
 *   written with attribute_not_exists in the same transaction as the folder or file, so a folder
 *   and a file cannot share a name either;
 * - a folder counts its children, folders AND files, in `childCount`: adding or removing a child
 *   updates the counter on condition that the folder exists, and a folder is deleted only on
 *   condition that its counter is 0, so nothing can be attached to a folder being deleted.
 */
import { TransactWriteCommand, TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from './clients';
import { ConflictError } from './errors';
import { folderKey, nameGuardKey } from './keys';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** DynamoDB accepts at most 100 items per transaction. */
export const MAX_TRANSACTION_ITEMS = 100;

export const nameConflict = (name: string) => new ConflictError(`A folder or file named "${name}" already exists here`, { name }, 'NAME_CONFLICT');

export const concurrentModification = (message = 'The request conflicts with a concurrent change; retry') =>
  new ConflictError(message, undefined, 'CONCURRENT_MODIFICATION');

/** Claims `name` in `parentId` (undefined = top level) for a folder or file; fails when taken. */
export function nameGuardPut(tenantId: string, parentId: string | undefined, name: string, kind: 'FOLDER' | 'FILE', targetId: string): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: { ...nameGuardKey(tenantId, parentId, name), type: 'NAME', kind, targetId },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** Frees `name` in `parentId`. */
export function nameGuardDelete(tenantId: string, parentId: string | undefined, name: string): TransactItem {
  return { Delete: { TableName: tableName(), Key: nameGuardKey(tenantId, parentId, name) } };
}

/** Adjusts a folder's child counter on condition that the folder exists. */
export function counterUpdate(tenantId: string, folderId: string, delta: number): TransactItem {
  return folderOp(tenantId, folderId, delta, undefined);
}

/**
 * An operation on a related folder: adjust its child counter by `delta` (0 = check only) on
 * condition that it exists and, when `parentId` is given (null = top level), still sits there.
 */
export function folderOp(tenantId: string, folderId: string, delta: number, parentId: string | null | undefined): TransactItem {
  const values: Record<string, unknown> = {};
  let condition = 'attribute_exists(pk)';
  if (parentId === null) condition += ' AND attribute_not_exists(parentId)';
  if (typeof parentId === 'string') {
    condition += ' AND parentId = :parent';
    values[':parent'] = parentId;
  }
  const key = folderKey(tenantId, folderId);
  if (delta === 0) {
    // DynamoDB rejects an empty ExpressionAttributeValues map.
    const withValues = Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {};
    return { ConditionCheck: { TableName: tableName(), Key: key, ConditionExpression: condition, ...withValues } };
  }
  values[':delta'] = delta;
  return {
    Update: {
      TableName: tableName(),
      Key: key,
      UpdateExpression: 'SET childCount = childCount + :delta',
      ConditionExpression: condition,
      ExpressionAttributeValues: values,
    },
  };
}

/**
 * Runs a transaction; when DynamoDB cancels it because of a failed condition, `explain` maps the
 * failing item's index to the client error (unmapped failures are retry-later conflicts).
 */
export async function transact(items: TransactItem[], explain: (index: number) => Error | undefined): Promise<void> {
  try {
    await ddb().send(new TransactWriteCommand({ TransactItems: items }));
  } catch (err) {
    const e = err as { name?: string; CancellationReasons?: { Code?: string }[] };
    if (e.name !== 'TransactionCanceledException') throw err;
    const reasons = e.CancellationReasons ?? [];
    const failed = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
    if (failed >= 0) throw explain(failed) ?? concurrentModification();
    if (reasons.some((r) => r.Code === 'TransactionConflict')) throw concurrentModification();
    throw err;
  }
}
