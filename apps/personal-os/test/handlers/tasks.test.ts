import '../../../kit/test/handler-env';
import type { DynamoDbLocal } from '../../../kit/local/dynamodb-local';
import { expectError } from '../../../kit/test/api-event';
import { handler as goals } from '../../handlers/goals.lambda';
import { handler as tasks } from '../../handlers/tasks.lambda';
import { handler as wallet } from '../../handlers/wallet.lambda';
import { alice, bob, call, startTable } from '../support/handler-db';

let db: DynamoDbLocal;
beforeAll(async () => {
  db = await startTable();
});
afterAll(async () => db?.stop());

const createTask = (body: unknown, identity = alice, headers?: Record<string, string>) => call(tasks, { method: 'POST', resource: '/tasks', body, identity, headers });
const getTask = (id: string, identity = alice) => call(tasks, { method: 'GET', resource: '/tasks/{id}', pathParameters: { id }, identity });
const complete = (id: string, identity = alice) => call(tasks, { method: 'POST', resource: '/tasks/{id}/complete', pathParameters: { id }, identity });
const balanceOf = async (identity = alice) => (await call(wallet, { method: 'GET', resource: '/wallet', identity })).body.balance;

describe('tasks', () => {
  test('create, read, list by status and area, update, delete', async () => {
    const res = await createTask({ title: '  Write report ', priority: 'high', area: 'career', dueDate: '2026-12-24' });
    expect(res.statusCode).toBe(201);
    expect(res.body).toMatchObject({ title: 'Write report', priority: 'high', area: 'career', status: 'todo', dependsOn: [] });
    expect(res.body.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(res.body).not.toHaveProperty('pk');
    const id = res.body.id;

    expect((await getTask(id)).body.title).toBe('Write report');
    const byArea = await call(tasks, { method: 'GET', resource: '/tasks', query: { area: 'career' }, identity: alice });
    expect(byArea.body.tasks.map((t: any) => t.id)).toContain(id);
    const patched = await call(tasks, { method: 'PATCH', resource: '/tasks/{id}', pathParameters: { id }, body: { status: 'in_progress', area: null }, identity: alice });
    expect(patched.statusCode).toBe(200);
    expect(patched.body).toMatchObject({ status: 'in_progress' });
    expect(patched.body.area).toBeUndefined();
    const inProgress = await call(tasks, { method: 'GET', resource: '/tasks', query: { status: 'in_progress' }, identity: alice });
    expect(inProgress.body.tasks.map((t: any) => t.id)).toEqual([id]);

    expect((await call(tasks, { method: 'DELETE', resource: '/tasks/{id}', pathParameters: { id }, identity: alice })).statusCode).toBe(204);
    expectError(await getTask(id), 404, 'NOT_FOUND');
  });

  test('completion awards the points once, in one transaction with the ledger entry', async () => {
    const { body: task } = await createTask({ title: 'Run 5k', priority: 'urgent' });
    const before = await balanceOf();
    const done = await complete(task.id);
    expect(done.statusCode).toBe(200);
    expect(done.body).toMatchObject({ pointsAwarded: 30, balance: before + 30, task: { status: 'done', pointsAwarded: 30 } });
    // A retry (or a second click) is refused and adds nothing.
    expectError(await complete(task.id), 409, 'ALREADY_COMPLETED');
    expect(await balanceOf()).toBe(before + 30);
    const ledger = (await call(wallet, { method: 'GET', resource: '/wallet', identity: alice })).body.ledger;
    expect(ledger.filter((e: any) => e.sourceId === task.id)).toEqual([expect.objectContaining({ amount: 30, reason: 'task_completed' })]);

    // Reopened and completed again: no second award.
    await call(tasks, { method: 'PATCH', resource: '/tasks/{id}', pathParameters: { id: task.id }, body: { status: 'todo' }, identity: alice });
    const again = await complete(task.id);
    expect(again.body).toMatchObject({ pointsAwarded: 0, balance: before + 30 });
  });

  test('two completions racing award once', async () => {
    const { body: task } = await createTask({ title: 'Race', points: 7 });
    const before = await balanceOf();
    const results = await Promise.all([complete(task.id), complete(task.id), complete(task.id)]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409, 409]);
    expect(await balanceOf()).toBe(before + 7);
  });

  test('dependencies: must exist, no cycles, block completion until done', async () => {
    const { body: first } = await createTask({ title: 'First' });
    expectError(await createTask({ title: 'Bad', dependsOn: ['01ARZ3NDEKTSV4RRFFQ69G5FAV'] }), 400, 'INVALID_DEPENDENCY');
    const { body: second } = await createTask({ title: 'Second', dependsOn: [first.id] });
    expectError(await complete(second.id), 409, 'DEPENDENCIES_OPEN');
    // first -> second -> first would be a cycle.
    expectError(await call(tasks, { method: 'PATCH', resource: '/tasks/{id}', pathParameters: { id: first.id }, body: { dependsOn: [second.id] }, identity: alice }), 409, 'DEPENDENCY_CYCLE');
    expectError(await call(tasks, { method: 'DELETE', resource: '/tasks/{id}', pathParameters: { id: first.id }, identity: alice }), 409, 'HAS_DEPENDENTS');
    expect((await complete(first.id)).statusCode).toBe(200);
    expect((await complete(second.id)).statusCode).toBe(200);
  });

  test('a linked goal caches its progress from its tasks', async () => {
    const { body: goal } = await call(goals, { method: 'POST', resource: '/goals', body: { title: 'Get fit' }, identity: alice });
    const { body: a } = await createTask({ title: 'A', goalId: goal.id });
    await createTask({ title: 'B', goalId: goal.id });
    await complete(a.id);
    const res = await call(goals, { method: 'GET', resource: '/goals/{id}', pathParameters: { id: goal.id }, identity: alice });
    expect(res.body).toMatchObject({ progress: 50, taskCount: 2, doneTaskCount: 1 });
    expect(res.body.tasks).toHaveLength(2);
    expectError(await createTask({ title: 'C', goalId: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }), 400, 'INVALID_GOAL');
  });

  test("another user's task is a 404 for every route, and stays unchanged", async () => {
    const { body: task } = await createTask({ title: 'Private', priority: 'low' });
    expectError(await getTask(task.id, bob), 404, 'NOT_FOUND');
    expectError(await call(tasks, { method: 'PATCH', resource: '/tasks/{id}', pathParameters: { id: task.id }, body: { title: 'Mine' }, identity: bob }), 404, 'NOT_FOUND');
    expectError(await call(tasks, { method: 'DELETE', resource: '/tasks/{id}', pathParameters: { id: task.id }, identity: bob }), 404, 'NOT_FOUND');
    expectError(await complete(task.id, bob), 404, 'NOT_FOUND');
    expect((await call(tasks, { method: 'GET', resource: '/tasks', identity: bob })).body.tasks).toEqual([]);
    expect(await balanceOf(bob)).toBe(0);
    expect((await getTask(task.id)).body).toMatchObject({ title: 'Private', status: 'todo' });
  });

  test('bad input is a 4xx and changes nothing', async () => {
    const { body: task } = await createTask({ title: 'Keep me' });
    expectError(await createTask({ title: '' }), 400, 'VALIDATION_FAILED');
    expectError(await createTask({ title: 'x', priority: 'whenever' }), 400, 'VALIDATION_FAILED');
    expectError(await createTask({ title: 'x', extra: 1 }), 400, 'VALIDATION_FAILED');
    expectError(await createTask('{not json'), 400, 'MALFORMED_JSON');
    expectError(await call(tasks, { method: 'PATCH', resource: '/tasks/{id}', pathParameters: { id: task.id }, body: { status: 'done' }, identity: alice }), 400, 'VALIDATION_FAILED');
    expectError(await call(tasks, { method: 'PATCH', resource: '/tasks/{id}', pathParameters: { id: task.id }, body: { dueDate: '2026-02-30' }, identity: alice }), 400, 'VALIDATION_FAILED');
    expectError(await getTask('not-a-ulid'), 400, 'VALIDATION_FAILED');
    expectError(await call(tasks, { method: 'GET', resource: '/tasks', identity: undefined }), 401, 'UNAUTHORIZED');
    expect((await getTask(task.id)).body).toMatchObject({ title: 'Keep me', status: 'todo', updatedAt: task.updatedAt });
  });

  test('a create retried with the same Idempotency-Key creates one task', async () => {
    const headers = { 'Idempotency-Key': 'create-once-1' };
    const first = await createTask({ title: 'Once' }, alice, headers);
    const retry = await createTask({ title: 'Once' }, alice, headers);
    expect(retry.body.id).toBe(first.body.id);
    expectError(await createTask({ title: 'Other' }, alice, headers), 422, 'IDEMPOTENCY_KEY_REUSED');
    const all = (await call(tasks, { method: 'GET', resource: '/tasks', identity: alice })).body.tasks;
    expect(all.filter((t: any) => t.title === 'Once')).toHaveLength(1);
  });
});

describe('wallet', () => {
  test('redeem spends points, never below zero, once per Idempotency-Key', async () => {
    const carol = { sub: 'user-carol' };
    const { body: task } = await createTask({ title: 'Earn', points: 40 }, carol);
    await complete(task.id, carol);
    const redeem = (body: unknown, headers?: Record<string, string>) => call(wallet, { method: 'POST', resource: '/wallet/redeem', body, identity: carol, headers });
    expectError(await redeem({ amount: 41, reward: 'Too much' }), 409, 'INSUFFICIENT_POINTS');
    expectError(await redeem({ amount: -5, reward: 'Negative' }), 400, 'VALIDATION_FAILED');
    const headers = { 'Idempotency-Key': 'coffee-1' };
    const first = await redeem({ amount: 15, reward: 'Coffee' }, headers);
    expect(first.body).toMatchObject({ balance: 25, lifetimeEarned: 40, lifetimeSpent: 15 });
    const retry = await redeem({ amount: 15, reward: 'Coffee' }, headers);
    expect(retry.body.balance).toBe(25);
    expect(await balanceOf(carol)).toBe(25);
    expect(first.body.ledger.map((e: any) => e.amount)).toEqual([-15, 40]);
  });
});
