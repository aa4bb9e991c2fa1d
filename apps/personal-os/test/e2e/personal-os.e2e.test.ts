/**
 * End to end over HTTP in local mode: the kit's API Gateway stand-in with dev tokens, the real
 * handlers, DynamoDB Local. Per route family: the happy path, another user's item (404) and bad
 * input (4xx, nothing changed).
 */
import { LocalPersonalOs, startLocalPersonalOs } from '../../local/local-personal-os';

let local: LocalPersonalOs;
let alice: string;
let bob: string;

beforeAll(async () => {
  local = await startLocalPersonalOs();
  alice = local.token({ sub: 'alice', email: 'alice@example.com' });
  bob = local.token({ sub: 'bob', email: 'bob@example.com' });
});
afterAll(async () => local?.stop());

interface Reply { readonly status: number; readonly body: any }

async function http(method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`${local.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('health and identity', () => {
  test('GET /health is public', async () => {
    const res = await http('GET', '/health');
    expect(res).toMatchObject({ status: 200, body: { status: 'healthy', stage: 'local' } });
  });

  test('GET /auth/me needs a token and returns its user', async () => {
    expect((await http('GET', '/auth/me')).status).toBe(401);
    expect((await http('GET', '/auth/me', 'not-a-token')).status).toBe(401);
    expect(await http('GET', '/auth/me', alice)).toMatchObject({ status: 200, body: { userId: 'alice', email: 'alice@example.com' } });
  });
});

describe('tasks and wallet', () => {
  test('create, complete for points, spend them', async () => {
    const created = await http('POST', '/tasks', alice, { title: 'Plan the week', priority: 'high', area: 'work' });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const done = await http('POST', `/tasks/${id}/complete`, alice);
    expect(done).toMatchObject({ status: 200, body: { pointsAwarded: 20, balance: 20, task: { status: 'done' } } });
    expect((await http('POST', `/tasks/${id}/complete`, alice)).status).toBe(409);
    expect((await http('GET', '/tasks?status=done', alice)).body.tasks.map((t: any) => t.id)).toEqual([id]);
    const spent = await http('POST', '/wallet/redeem', alice, { amount: 5, reward: 'Coffee' }, { 'Idempotency-Key': 'e2e-coffee' });
    expect(spent.body).toMatchObject({ balance: 15, lifetimeEarned: 20, lifetimeSpent: 5 });
    expect((await http('POST', '/wallet/redeem', alice, { amount: 5, reward: 'Coffee' }, { 'Idempotency-Key': 'e2e-coffee' })).body.balance).toBe(15);
    expect((await http('GET', '/wallet', alice)).body.balance).toBe(15);
  });

  test("another user's task is a 404 and stays as it was", async () => {
    const { body: task } = await http('POST', '/tasks', alice, { title: 'Mine' });
    expect((await http('GET', `/tasks/${task.id}`, bob)).status).toBe(404);
    expect((await http('PATCH', `/tasks/${task.id}`, bob, { title: 'Stolen' })).status).toBe(404);
    expect((await http('POST', `/tasks/${task.id}/complete`, bob)).status).toBe(404);
    expect((await http('DELETE', `/tasks/${task.id}`, bob)).status).toBe(404);
    expect((await http('GET', '/wallet', bob)).body.balance).toBe(0);
    expect((await http('GET', `/tasks/${task.id}`, alice)).body).toMatchObject({ title: 'Mine', status: 'todo' });
  });

  test('bad input is a 4xx and changes nothing', async () => {
    const { body: task } = await http('POST', '/tasks', alice, { title: 'Unchanged' });
    expect((await http('PATCH', `/tasks/${task.id}`, alice, { priority: 'someday' })).status).toBe(400);
    expect((await http('PATCH', `/tasks/${task.id}`, alice, '{"title":')).status).toBe(400);
    expect((await http('POST', '/tasks', alice, { title: 'x'.repeat(201) })).status).toBe(400);
    expect((await http('POST', '/wallet/redeem', alice, { amount: 1_000_000_000, reward: 'Yacht' })).status).toBe(400);
    expect((await http('POST', '/wallet/redeem', alice, { amount: 999_999, reward: 'Yacht' })).status).toBe(409);
    expect((await http('GET', `/tasks/${task.id}`, alice)).body).toMatchObject({ title: 'Unchanged', priority: 'medium', updatedAt: task.updatedAt });
  });
});

describe('goals', () => {
  test('progress follows the linked tasks; other users get 404; bad input changes nothing', async () => {
    const { body: goal } = await http('POST', '/goals', alice, { title: 'Ship the app', area: 'work', targetDate: '2027-01-31' });
    const { body: task } = await http('POST', '/tasks', alice, { title: 'Write tests', goalId: goal.id });
    await http('POST', '/tasks', alice, { title: 'Write docs', goalId: goal.id });
    await http('POST', `/tasks/${task.id}/complete`, alice);
    expect((await http('GET', `/goals/${goal.id}`, alice)).body).toMatchObject({ progress: 50, taskCount: 2, doneTaskCount: 1 });
    expect((await http('GET', '/goals?area=work', alice)).body.goals.map((g: any) => g.id)).toContain(goal.id);

    expect((await http('GET', `/goals/${goal.id}`, bob)).status).toBe(404);
    expect((await http('PATCH', `/goals/${goal.id}`, bob, { title: 'x' })).status).toBe(404);
    expect((await http('DELETE', `/goals/${goal.id}`, bob)).status).toBe(404);
    expect((await http('POST', '/tasks', bob, { title: 'Hijack', goalId: goal.id })).status).toBe(400);

    expect((await http('PATCH', `/goals/${goal.id}`, alice, { status: 'finished' })).status).toBe(400);
    expect((await http('PATCH', `/goals/${goal.id}`, alice, { targetDate: 'tomorrow' })).status).toBe(400);
    expect((await http('GET', `/goals/${goal.id}`, alice)).body).toMatchObject({ title: 'Ship the app', status: 'active', targetDate: '2027-01-31', progress: 50 });
  });
});

describe('habits', () => {
  test('daily logs build streaks; /habits/today; other users get 404; bad input changes nothing', async () => {
    const { body: habit } = await http('POST', '/habits', alice, { name: 'Meditate', area: 'health' });
    const today = new Date().toISOString().slice(0, 10);
    const day = (offset: number) => new Date(Date.now() - offset * 86_400_000).toISOString().slice(0, 10);
    expect((await http('POST', `/habits/${habit.id}/logs`, alice, { date: day(2) })).status).toBe(201);
    expect((await http('POST', `/habits/${habit.id}/logs`, alice, { date: day(1) })).status).toBe(201);
    const logged = await http('POST', `/habits/${habit.id}/logs`, alice, {});
    expect(logged).toMatchObject({ status: 201, body: { log: { date: today }, habit: { currentStreak: 3, longestStreak: 3, totalLogs: 3 } } });
    expect((await http('POST', `/habits/${habit.id}/logs`, alice, { date: today })).status).toBe(409);
    const todayList = await http('GET', '/habits/today', alice);
    expect(todayList.body.habits.find((h: any) => h.id === habit.id)).toMatchObject({ doneToday: true });
    expect((await http('GET', `/habits/${habit.id}/logs?from=${day(1)}`, alice)).body.logs.map((l: any) => l.date)).toEqual([day(1), today]);

    expect((await http('GET', `/habits/${habit.id}`, bob)).status).toBe(404);
    expect((await http('POST', `/habits/${habit.id}/logs`, bob, {})).status).toBe(404);
    expect((await http('GET', '/habits/today', bob)).body).toMatchObject({ habits: [], total: 0 });

    expect((await http('POST', `/habits/${habit.id}/logs`, alice, { date: '2999-01-01' })).status).toBe(400);
    expect((await http('POST', `/habits/${habit.id}/logs`, alice, { date: '2026-13-01' })).status).toBe(400);
    expect((await http('GET', `/habits/${habit.id}`, alice)).body).toMatchObject({ currentStreak: 3, totalLogs: 3 });
  });
});

describe('metrics', () => {
  test('logs are time-sorted; reaching the target is a milestone that awards points once', async () => {
    const carol = local.token({ sub: 'carol', email: 'carol@example.com' });
    const { body: metric } = await http('POST', '/metrics', carol, { name: 'Weekly km', unit: 'km', target: 20 });
    const first = await http('POST', `/metrics/${metric.id}/logs`, carol, { value: 12, timestamp: new Date(Date.now() - 3_600_000).toISOString() });
    expect(first).toMatchObject({ status: 201, body: { milestones: [], metric: { currentValue: 12, logCount: 1 } } });
    const second = await http('POST', `/metrics/${metric.id}/logs`, carol, { value: 21 });
    expect(second.body.milestones).toEqual([expect.objectContaining({ kind: 'target_reached', points: 50 })]);
    const third = await http('POST', `/metrics/${metric.id}/logs`, carol, { value: 25 });
    expect(third.body.milestones).toEqual([]);
    expect((await http('GET', '/wallet', carol)).body.balance).toBe(50);
    expect((await http('GET', `/metrics/${metric.id}/logs`, carol)).body.logs.map((l: any) => l.value)).toEqual([12, 21, 25]);
    expect((await http('GET', `/metrics/${metric.id}`, carol)).body.milestones.map((m: any) => m.kind)).toEqual(['target_reached']);

    expect((await http('GET', `/metrics/${metric.id}`, bob)).status).toBe(404);
    expect((await http('POST', `/metrics/${metric.id}/logs`, bob, { value: 1 })).status).toBe(404);

    expect((await http('POST', `/metrics/${metric.id}/logs`, carol, { value: 'lots' })).status).toBe(400);
    expect((await http('POST', `/metrics/${metric.id}/logs`, carol, { value: 1, timestamp: '2999-01-01T00:00:00Z' })).status).toBe(400);
    expect((await http('GET', `/metrics/${metric.id}`, carol)).body).toMatchObject({ currentValue: 25, logCount: 3 });
  });
});
