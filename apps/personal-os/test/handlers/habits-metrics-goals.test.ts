import '../../../kit/test/handler-env';
import type { DynamoDbLocal } from '../../../kit/local/dynamodb-local';
import { expectError } from '../../../kit/test/api-event';
import { handler as goals } from '../../handlers/goals.lambda';
import { handler as habits } from '../../handlers/habits.lambda';
import { handler as metrics } from '../../handlers/metrics.lambda';
import { handler as tasks } from '../../handlers/tasks.lambda';
import { handler as wallet } from '../../handlers/wallet.lambda';
import { alice, bob, call, startTable } from '../support/handler-db';

let db: DynamoDbLocal;
beforeAll(async () => {
  db = await startTable();
});
afterAll(async () => db?.stop());

const day = (offset: number) => new Date(Date.now() - offset * 86_400_000).toISOString().slice(0, 10);
const noon = (offset: number) => `${day(offset)}T12:00:00.000Z`;

describe('habits', () => {
  test('backfilled logs: streaks from consecutive days, a gap starts over', async () => {
    const { body: habit } = await call(habits, { method: 'POST', resource: '/habits', body: { name: 'Read' }, identity: alice });
    const log = (date: string) => call(habits, { method: 'POST', resource: '/habits/{id}/logs', pathParameters: { id: habit.id }, body: { date }, identity: alice });
    for (const offset of [6, 5, 4, 2, 1]) expect((await log(day(offset))).statusCode).toBe(201);
    const last = await log(day(0));
    expect(last.body.habit).toMatchObject({ currentStreak: 3, longestStreak: 3, totalLogs: 6, lastLoggedDate: day(0) });
    const today = await call(habits, { method: 'GET', resource: '/habits/today', query: { date: day(3) }, identity: alice });
    expect(today.body).toMatchObject({ date: day(3), done: 0, total: 1 });
  });

  test('archived habits leave today\'s list; deleting a habit removes its logs; other users get 404', async () => {
    const { body: habit } = await call(habits, { method: 'POST', resource: '/habits', body: { name: 'Stretch' }, identity: alice });
    await call(habits, { method: 'POST', resource: '/habits/{id}/logs', pathParameters: { id: habit.id }, body: {}, identity: alice });
    expectError(await call(habits, { method: 'PATCH', resource: '/habits/{id}', pathParameters: { id: habit.id }, body: { archived: true }, identity: bob }), 404, 'NOT_FOUND');
    await call(habits, { method: 'PATCH', resource: '/habits/{id}', pathParameters: { id: habit.id }, body: { archived: true }, identity: alice });
    const today = await call(habits, { method: 'GET', resource: '/habits/today', identity: alice });
    expect(today.body.habits.map((h: any) => h.id)).not.toContain(habit.id);
    expectError(await call(habits, { method: 'DELETE', resource: '/habits/{id}', pathParameters: { id: habit.id }, identity: bob }), 404, 'NOT_FOUND');
    expect((await call(habits, { method: 'DELETE', resource: '/habits/{id}', pathParameters: { id: habit.id }, identity: alice })).statusCode).toBe(204);
    expectError(await call(habits, { method: 'GET', resource: '/habits/{id}/logs', pathParameters: { id: habit.id }, identity: alice }), 404, 'NOT_FOUND');
  });
});

describe('metrics', () => {
  test('a 7-day logging streak is a milestone; racing logs award it once', async () => {
    const dave = { sub: 'user-dave' };
    const { body: metric } = await call(metrics, { method: 'POST', resource: '/metrics', body: { name: 'Weight', unit: 'kg', direction: 'decrease', target: 70 }, identity: dave });
    const log = (value: number, timestamp?: string) => call(metrics, { method: 'POST', resource: '/metrics/{id}/logs', pathParameters: { id: metric.id }, body: { value, timestamp }, identity: dave });
    for (const offset of [6, 5, 4, 3, 2, 1]) expect((await log(75, noon(offset))).body.milestones).toEqual([]);
    const racing = await Promise.all([log(74), log(74), log(74)]);
    const awarded = racing.flatMap((r) => r.body.milestones.map((m: any) => m.kind));
    expect(awarded).toEqual(['streak_7']);
    // Reaching the target (downwards) later is its own milestone.
    expect((await log(69.5)).body.milestones.map((m: any) => m.kind)).toEqual(['target_reached']);
    const balance = (await call(wallet, { method: 'GET', resource: '/wallet', identity: dave })).body;
    expect(balance).toMatchObject({ balance: 70, lifetimeEarned: 70 });
    expect(balance.ledger.map((e: any) => e.reason)).toEqual(['milestone_reached', 'milestone_reached']);
    const got = await call(metrics, { method: 'GET', resource: '/metrics/{id}', pathParameters: { id: metric.id }, identity: dave });
    expect(got.body).toMatchObject({ currentValue: 69.5, currentStreak: 7, logCount: 10 });
    expect(got.body.milestones.map((m: any) => m.kind).sort()).toEqual(['streak_7', 'target_reached']);
    const range = await call(metrics, { method: 'GET', resource: '/metrics/{id}/logs', pathParameters: { id: metric.id }, query: { from: noon(3), to: noon(2) }, identity: dave });
    expect(range.body.logs.map((l: any) => l.timestamp)).toEqual([noon(3), noon(2)]);
  });

  test('bad input and other users change nothing', async () => {
    const { body: metric } = await call(metrics, { method: 'POST', resource: '/metrics', body: { name: 'Steps' }, identity: alice });
    expectError(await call(metrics, { method: 'POST', resource: '/metrics', body: { name: 'x', direction: 'sideways' }, identity: alice }), 400, 'VALIDATION_FAILED');
    expectError(await call(metrics, { method: 'PATCH', resource: '/metrics/{id}', pathParameters: { id: metric.id }, body: { target: 'high' }, identity: alice }), 400, 'VALIDATION_FAILED');
    expectError(await call(metrics, { method: 'PATCH', resource: '/metrics/{id}', pathParameters: { id: metric.id }, body: { target: 10 }, identity: bob }), 404, 'NOT_FOUND');
    expectError(await call(metrics, { method: 'DELETE', resource: '/metrics/{id}', pathParameters: { id: metric.id }, identity: bob }), 404, 'NOT_FOUND');
    const got = await call(metrics, { method: 'GET', resource: '/metrics/{id}', pathParameters: { id: metric.id }, identity: alice });
    expect(got.body).toMatchObject({ name: 'Steps', direction: 'increase', logCount: 0 });
    expect(got.body.target).toBeUndefined();
  });
});

describe('goals', () => {
  test('status filter; deleting a goal unlinks its tasks', async () => {
    const { body: goal } = await call(goals, { method: 'POST', resource: '/goals', body: { title: 'Learn Spanish' }, identity: alice });
    const { body: task } = await call(tasks, { method: 'POST', resource: '/tasks', body: { title: 'Lesson 1', goalId: goal.id }, identity: alice });
    await call(goals, { method: 'PATCH', resource: '/goals/{id}', pathParameters: { id: goal.id }, body: { status: 'archived' }, identity: alice });
    const archived = await call(goals, { method: 'GET', resource: '/goals', query: { status: 'archived' }, identity: alice });
    expect(archived.body.goals.map((g: any) => g.id)).toEqual([goal.id]);
    expect((await call(goals, { method: 'DELETE', resource: '/goals/{id}', pathParameters: { id: goal.id }, identity: alice })).statusCode).toBe(204);
    const unlinked = await call(tasks, { method: 'GET', resource: '/tasks/{id}', pathParameters: { id: task.id }, identity: alice });
    expect(unlinked.body.goalId).toBeUndefined();
  });
});
