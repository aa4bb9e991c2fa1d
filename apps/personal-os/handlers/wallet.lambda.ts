/**
 * The points wallet.
 *
 *   GET  /wallet          balance, lifetime totals and the 20 latest ledger entries
 *   POST /wallet/redeem   spend points on a reward `{ amount, reward }` (Idempotency-Key recommended)
 */
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { routeHandler } from './lib/api-handler';
import { ddb, tableName } from './lib/clients';
import { conflict } from './lib/errors';
import { ok } from './lib/http';
import { idempotent } from './lib/idempotency';
import { LEDGER_PREFIX, WALLET_SK, publicView, userPk } from './lib/keys';
import { MetricUnit, metrics } from './lib/observability';
import { getItem, queryPrefix } from './lib/table';
import { parseBody, textSchema } from './lib/validation';
import { ledgerPut } from './lib/wallet';
import './lib/zod-locale';

const redeemBody = z.strictObject({
  amount: z.int().check(z.minimum(1), z.maximum(1_000_000)),
  reward: textSchema(200),
});

async function walletOf(userId: string) {
  const wallet = await getItem(userId, WALLET_SK);
  const ledger = await queryPrefix(userId, LEDGER_PREFIX, { newestFirst: true, limit: 20 });
  return {
    balance: wallet?.balance ?? 0,
    lifetimeEarned: wallet?.lifetimeEarned ?? 0,
    lifetimeSpent: wallet?.lifetimeSpent ?? 0,
    ledger: ledger.map(publicView),
  };
}

export const handler = routeHandler('wallet', {
  'GET /wallet': async ({ caller }) => ok(await walletOf(caller.userId)),

  'POST /wallet/redeem': idempotent('wallet.redeem', async ({ event, caller }) => {
    const body = parseBody(event, redeemBody);
    const now = new Date().toISOString();
    try {
      // The balance never goes negative: the condition and the ledger entry are one transaction.
      await ddb().send(new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableName(),
              Key: { pk: userPk(caller.userId), sk: WALLET_SK },
              UpdateExpression: 'SET balance = balance - :amount, lifetimeSpent = if_not_exists(lifetimeSpent, :zero) + :amount, updatedAt = :now',
              ConditionExpression: 'balance >= :amount',
              ExpressionAttributeValues: { ':amount': body.amount, ':zero': 0, ':now': now },
            },
          },
          { ...ledgerPut(caller.userId, -body.amount, 'reward_redeemed', body.reward, now) },
        ],
      }));
    } catch (err) {
      if ((err as Error).name === 'TransactionCanceledException') {
        throw conflict('INSUFFICIENT_POINTS', `Redeeming ${body.amount} points needs a balance of at least ${body.amount}`);
      }
      throw err;
    }
    metrics.addMetric('PointsRedeemed', MetricUnit.Count, body.amount);
    return ok(await walletOf(caller.userId));
  }),
});
