import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from './clients';
import { itemSk, userPk } from './keys';
import { queryAll } from './table';

/** A goal's progress from its linked tasks: the share of them done, in whole percent (0 without tasks). */
export interface GoalProgress {
  readonly progress: number;
  readonly taskCount: number;
  readonly doneTaskCount: number;
}

export function progressOf(statuses: string[]): GoalProgress {
  const done = statuses.filter((s) => s === 'done').length;
  return { progress: statuses.length === 0 ? 0 : Math.round((done / statuses.length) * 100), taskCount: statuses.length, doneTaskCount: done };
}

/**
 * Recomputes the goal's progress from the user's tasks linked to it and caches it on the goal.
 * Runs after every change of a linked task; a goal deleted meanwhile is left alone.
 */
export async function refreshGoalProgress(userId: string, goalId: string): Promise<GoalProgress | undefined> {
  const tasks = await queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    FilterExpression: 'goalId = :goal',
    ProjectionExpression: '#status',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':pk': userPk(userId), ':prefix': 'TASK#', ':goal': goalId },
  });
  const progress = progressOf(tasks.map((t) => String(t.status)));
  try {
    await ddb().send(new UpdateCommand({
      TableName: tableName(),
      Key: { pk: userPk(userId), sk: itemSk('GOAL', goalId) },
      UpdateExpression: 'SET progress = :p, taskCount = :t, doneTaskCount = :d, progressUpdatedAt = :now',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':p': progress.progress, ':t': progress.taskCount, ':d': progress.doneTaskCount, ':now': new Date().toISOString() },
    }));
  } catch (err) {
    if ((err as Error).name === 'ConditionalCheckFailedException') return undefined;
    throw err;
  }
  return progress;
}
