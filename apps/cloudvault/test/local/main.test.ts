import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as path from 'path';

// `npm run local` as a user runs it: a separate process (ts-node, local/main.ts) that must print
// its URL and tokens, serve, and on Ctrl-C stop everything it started, DynamoDB Local's JVM included.
const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const TS_NODE = path.join(ROOT, 'node_modules', '.bin', 'ts-node');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Direct children of `pid` with their command lines. */
function childrenOf(pid: number): Array<{ pid: number; command: string }> {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when there are none
  }
  return out.trim().split('\n').filter(Boolean).map((line) => {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line)!;
    return { pid: Number(m[1]), command: m[2] };
  });
}

let child: ChildProcess | undefined;
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

test('local/main.ts starts on a free port, prints URL and tokens, serves, and stops cleanly on SIGINT', async () => {
  child = spawn(TS_NODE, ['--transpile-only', '--project', 'tsconfig.dev.json', 'apps/cloudvault/local/main.ts', '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc = child;
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));

  // Ready once the curl examples are printed (tokens come before them).
  const deadline = Date.now() + 100_000;
  while (!/Ctrl-C stops/.test(stdout)) {
    if (proc.exitCode !== null) throw new Error(`main.ts exited early (${proc.exitCode}):\n${stdout}\n${stderr}`);
    if (Date.now() > deadline) throw new Error(`main.ts did not start within 100 s:\n${stdout}\n${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const url = /CloudVault API listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
  expect(url).toBeDefined();
  const alice = /export ALICE=(\S+)/.exec(stdout)?.[1];
  const bob = /export BOB=(\S+)/.exec(stdout)?.[1];
  expect(alice).toBeDefined();
  expect(bob).toBeDefined();

  const health = await fetch(`${url}/api/health`);
  expect(health.status).toBe(200);
  expect(await health.json()).toMatchObject({ status: 'ok' });
  // The printed tokens work and belong to different tenants.
  const created = await fetch(`${url}/api/folders`, { method: 'POST', headers: { 'Authorization': `Bearer ${alice}`, 'Content-Type': 'application/json' }, body: '{"name":"Reports"}' });
  expect(created.status).toBe(201);
  const count = async (token: string) => ((await (await fetch(`${url}/api/folders`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { count: number }).count;
  expect(await count(alice!)).toBe(1);
  expect(await count(bob!)).toBe(0);

  const java = childrenOf(proc.pid!).filter((c) => /DynamoDBLocal\.jar/.test(c.command));
  expect(java).toHaveLength(1);

  proc.kill('SIGINT');
  const { code, signal } = await exited;
  expect({ code, signal }).toEqual({ code: 0, signal: null });
  expect(stdout).toMatch(/CloudVault local mode stopped\./);
  expect(alive(java[0].pid)).toBe(false);
  await expect(fetch(`${url}/api/health`)).rejects.toThrow();
}, 90_000);
