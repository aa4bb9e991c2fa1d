import { tableName } from './clients';
import { newId } from './ids';
import { LEDGER_PREFIX, WALLET_SK, userPk } from './keys';
import type { TransactItem } from './table';

/** Why points moved. */
export type LedgerReason = 'task_completed' | 'milestone_reached' | 'reward_redeemed';

/**
 * The transaction items that add `amount` points to the user's wallet and record it in the ledger.
 * They join the transaction of what earned the points (a task's completion, a milestone), whose own
 * condition makes a retry fail as a whole: points are never added twice.
 */
export function awardItems(userId: string, amount: number, reason: LedgerReason, sourceId: string, now: string): TransactItem[] {
  return [
    {
      Update: {
        TableName: tableName(),
        Key: { pk: userPk(userId), sk: WALLET_SK },
        UpdateExpression: 'ADD balance :amount, lifetimeEarned :amount SET updatedAt = :now',
        ExpressionAttributeValues: { ':amount': amount, ':now': now },
      },
    },
    ledgerPut(userId, amount, reason, sourceId, now),
  ];
}

/** One ledger entry (negative `amount` for spending). */
export function ledgerPut(userId: string, amount: number, reason: LedgerReason, sourceId: string, now: string): TransactItem {
  const id = newId();
  return {
    Put: {
      TableName: tableName(),
      Item: { pk: userPk(userId), sk: `${LEDGER_PREFIX}${id}`, id, amount, reason, sourceId, createdAt: now },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}
