/**
 * The command center's seed targets (50+ concurrent users, API answers under 100 ms), measured in
 * local mode (apps/command-center/local): the real handlers behind the kit's REST and WebSocket
 * adapters, against embedded Postgres and redis-server on loopback.
 *
 * 50 clients of one tenant each hold a WebSocket connection and call the REST API at the same time:
 * 10 operators create commands and move them through running -> succeeded, 40 viewers list and read.
 * API latency: request sent -> response read, per route. Fan-out: status-change request sent -> the
 * `command.status` event read by each of the 50 connected clients (the handler broadcasts before it
 * answers, so this includes the write, the cache invalidation and the @connections posts).
 *
 * `npx projen bench:command-center` writes the figures between the markers in docs/benchmarks.md.
 */
import '../apps/kit/test/handler-env'; // before the handlers load: Powertools logs and metrics off
import { readFileSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import WebSocket from 'ws';
import { COMMAND_CENTER_SECTION } from './kept-section';
import { startLocalCommandCenter } from '../apps/command-center/local/local-command-center';
import { replaceMarkedBlock } from '../apps/kit/build/architecture-block';
import { DevUser } from '../apps/kit/local/dev-tokens';

const CLIENTS = 50;
const OPERATORS = 10;
const ROUNDS = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 10;
interface Client {
  readonly user: DevUser;
  readonly token: string;
  readonly socket?: WebSocket;
  /** `<command id>/<version>` -> time the status event arrived. */
  readonly received: Map<string, number>;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summary(values: number[]): { n: number; p50: number; p95: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] };
}

interface Phase {
  readonly latencies: Map<string, number[]>;
  readonly fanout: number[];
  readonly missing: number;
  readonly wallMs: number;
  readonly failures: string[];
}

type LocalCommandCenter = Awaited<ReturnType<typeof startLocalCommandCenter>>;

/** One run of the workload by `users` at once; with `sockets`, each holds a WebSocket connection throughout. */
async function runPhase(local: LocalCommandCenter, users: DevUser[], sockets: boolean): Promise<Phase> {
  const clients: Client[] = await Promise.all(users.map(async (user) => {
    const token = local.token(user);
    const received = new Map<string, number>();
    let socket: WebSocket | undefined;
    if (sockets) {
      socket = new WebSocket(`${local.wsUrl}?token=${token}`);
      socket.on('message', (data) => {
        const at = performance.now();
        const message = JSON.parse(String(data)) as { type: string; command: { id: string; version: number } };
        if (message.type === 'command.status') received.set(`${message.command.id}/${message.command.version}`, at);
      });
      const opened = socket;
      await new Promise<void>((resolve, reject) => { opened.once('open', () => resolve()); opened.once('error', reject); });
    }
    return { user, token, socket, received };
  }));

  const latencies = new Map<string, number[]>();
  const sentAt = new Map<string, number>(); // `<id>/<version>` -> status change request sent
  const failures: string[] = [];
  async function call(client: Client, route: string, method: string, url: string, body?: unknown): Promise<any> {
    const started = performance.now();
    const res = await fetch(`${local.apiUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${client.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) failures.push(`${route} ${res.status} ${text}`);
    latencies.set(route, [...(latencies.get(route) ?? []), performance.now() - started]);
    return text ? JSON.parse(text) : undefined;
  }

  const seed = await call(clients[0], 'warm-up', 'POST', '/api/commands', { name: 'warm-up', target: 'bench' });
  latencies.delete('warm-up');
  const wallStart = performance.now();
  await Promise.all(clients.map(async (client, i) => {
    for (let round = 0; round < ROUNDS; round++) {
      if (i < OPERATORS) {
        const created = await call(client, 'POST /api/commands', 'POST', '/api/commands', { name: 'restart', target: `svc-${i}-${round}` });
        for (const status of ['running', 'succeeded']) {
          const started = performance.now();
          const updated = await call(client, 'PUT /api/commands/{id}/status', 'PUT', `/api/commands/${created.id}/status`, { status });
          sentAt.set(`${updated.id}/${updated.version}`, started);
        }
      } else {
        await call(client, 'GET /api/commands', 'GET', '/api/commands?limit=20');
        await call(client, 'GET /api/commands/{id}', 'GET', `/api/commands/${seed.id}`);
      }
    }
  }));
  const wallMs = performance.now() - wallStart;

  const fanout: number[] = [];
  let missing = 0;
  if (sockets) {
    await new Promise((r) => setTimeout(r, 1000)); // late events
    for (const [key, started] of sentAt) {
      for (const client of clients) {
        const at = client.received.get(key);
        if (at === undefined) missing++;
        else fanout.push(at - started);
      }
    }
    for (const client of clients) client.socket?.close();
    // Let the $disconnect handlers finish before the next phase or the engines stop.
    for (let i = 0; i < 100 && local.connectionIds().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
  }
  return { latencies, fanout, missing, wallMs, failures };
}

const f = (v: number) => v.toFixed(1);

function phaseTable(phase: Phase): string[] {
  const requests = [...phase.latencies.values()].reduce((n, v) => n + v.length, 0);
  const all = summary([...phase.latencies.values()].flat());
  const rows = [
    '| Route | requests | p50 ms | p95 ms | p99 ms | max ms |',
    '| --- | --- | --- | --- | --- | --- |',
    ...[...phase.latencies.entries()].map(([route, values]) => ({ route, ...summary(values) }))
      .map((r) => `| \`${r.route}\` | ${r.n} | ${f(r.p50)} | ${f(r.p95)} | ${f(r.p99)} | ${f(r.max)} |`),
    `| all API calls | ${all.n} | ${f(all.p50)} | ${f(all.p95)} | ${f(all.p99)} | ${f(all.max)} |`,
  ];
  if (phase.fanout.length > 0 || phase.missing > 0) {
    const fan = summary(phase.fanout);
    rows.push(`| status fan-out (request sent -> event read, each of ${CLIENTS} clients) | ${fan.n} deliveries, ${phase.missing} missing | ` +
      `${f(fan.p50)} | ${f(fan.p95)} | ${f(fan.p99)} | ${f(fan.max)} |`);
  }
  return [`${requests} requests in ${(phase.wallMs / 1000).toFixed(1)} s, ${phase.failures.length} failed.`, '', ...rows];
}

async function main(): Promise<void> {
  const local = await startLocalCommandCenter({ logErrors: false });
  try {
    const users: DevUser[] = Array.from({ length: CLIENTS }, (_, i) => ({
      sub: `bench-${i}`, email: `bench-${i}@example.com`, tenantId: 'bench', groups: [i < OPERATORS ? 'operator' : 'viewer'],
    }));
    const apiOnly = await runPhase(local, users, false);
    const withSockets = await runPhase(local, users, true);
    const p95 = (phase: Phase) => summary([...phase.latencies.values()].flat()).p95;
    const doc = [
      `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, Node ${process.version}, ` +
        'in local mode (embedded Postgres, redis-server, the kit\'s REST and WebSocket adapters, handlers in one process).',
      '',
      `Workload: ${CLIENTS} clients of one tenant at once; ${OPERATORS} operators each create ${ROUNDS} commands and move each through ` +
        `running and succeeded (every change is broadcast to the tenant's connections); ${CLIENTS - OPERATORS} viewers each list and read ` +
        `${ROUNDS} times (cached reads). Latency: request sent -> response read; fan-out: status change sent -> event read by each client.`,
      '',
      `**API only** (no WebSocket connection open, so broadcasts find no one): ${phaseTable(apiOnly)[0]}`,
      '',
      ...phaseTable(apiOnly).slice(2),
      '',
      `**${CLIENTS} WebSocket clients connected** for the whole run: ${phaseTable(withSockets)[0]}`,
      '',
      ...phaseTable(withSockets).slice(2),
      '',
      `Target (seed 003): API responses under 100 ms with 50+ concurrent users. p95 of all API calls: ${f(p95(apiOnly))} ms without and ` +
        `${f(p95(withSockets))} ms with ${CLIENTS} connected clients (${p95(withSockets) < 100 ? 'met' : 'not met here'}). In local mode one Node ` +
        'process runs every invocation and every @connections post (each broadcast is 50 SigV4-signed HTTP posts, answered by the same ' +
        'process) on the same two cores as Postgres and Valkey, where Lambda runs each request in its own container and API Gateway ' +
        'delivers the posts; not included: API Gateway, cold starts, RDS Proxy, IAM auth and the network between services. Read the ' +
        'figures as an upper bound of the handlers\' and engines\' share, and the gap between the two tables as the price of fanning out ' +
        'inside the status-change request.',
    ].join('\n');

    process.stdout.write(doc + '\n');
    const failures = [...apiOnly.failures, ...withSockets.failures];
    if (failures.length > 0) process.stderr.write(`failed requests:\n${failures.slice(0, 5).join('\n')}\n`);
    const file = path.resolve(__dirname, '..', 'docs', 'benchmarks.md');
    writeFileSync(file, replaceMarkedBlock(readFileSync(file, 'utf8'), COMMAND_CENTER_SECTION.start, COMMAND_CENTER_SECTION.end, doc + '\n'));
    process.stderr.write('wrote the command center section of docs/benchmarks.md\n');
  } finally {
    await local.stop();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
