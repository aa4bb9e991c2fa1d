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
import { END, START } from './command-center-section';
import { startLocalCommandCenter } from '../apps/command-center/local/local-command-center';
import { replaceMarkedBlock } from '../apps/kit/build/architecture-block';
import { DevUser } from '../apps/kit/local/dev-tokens';

const CLIENTS = 50;
const OPERATORS = 10;
const ROUNDS = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 10;
interface Client {
  readonly user: DevUser;
  readonly token: string;
  readonly socket: WebSocket;
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

async function main(): Promise<void> {
  const local = await startLocalCommandCenter({ logErrors: false });
  try {
    const users: DevUser[] = Array.from({ length: CLIENTS }, (_, i) => ({
      sub: `bench-${i}`, email: `bench-${i}@example.com`, tenantId: 'bench', groups: [i < OPERATORS ? 'operator' : 'viewer'],
    }));
    const clients: Client[] = await Promise.all(users.map(async (user) => {
      const token = local.token(user);
      const socket = new WebSocket(`${local.wsUrl}?token=${token}`);
      const received = new Map<string, number>();
      socket.on('message', (data) => {
        const at = performance.now();
        const message = JSON.parse(String(data)) as { type: string; command: { id: string; version: number } };
        if (message.type === 'command.status') received.set(`${message.command.id}/${message.command.version}`, at);
      });
      await new Promise<void>((resolve, reject) => { socket.once('open', () => resolve()); socket.once('error', reject); });
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
      const elapsed = performance.now() - started;
      if (res.status >= 300) failures.push(`${route} ${res.status} ${text}`);
      latencies.set(route, [...(latencies.get(route) ?? []), elapsed]);
      return { started, body: text ? JSON.parse(text) : undefined };
    }

    const seed = (await call(clients[0], 'POST /api/commands', 'POST', '/api/commands', { name: 'warm-up', target: 'bench' })).body;
    const wallStart = performance.now();
    await Promise.all(clients.map(async (client, i) => {
      for (let round = 0; round < ROUNDS; round++) {
        if (i < OPERATORS) {
          const created = (await call(client, 'POST /api/commands', 'POST', '/api/commands', { name: 'restart', target: `svc-${i}-${round}` })).body;
          for (const status of ['running', 'succeeded']) {
            const started = performance.now();
            const updated = (await call(client, 'PUT /api/commands/{id}/status', 'PUT', `/api/commands/${created.id}/status`, { status })).body;
            sentAt.set(`${updated.id}/${updated.version}`, started);
          }
        } else {
          await call(client, 'GET /api/commands', 'GET', '/api/commands?limit=20');
          await call(client, 'GET /api/commands/{id}', 'GET', `/api/commands/${seed.id}`);
        }
      }
    }));
    const wallMs = performance.now() - wallStart;
    await new Promise((r) => setTimeout(r, 1000)); // late events

    const fanout: number[] = [];
    let missing = 0;
    for (const [key, started] of sentAt) {
      for (const client of clients) {
        const at = client.received.get(key);
        if (at === undefined) missing++;
        else fanout.push(at - started);
      }
    }
    for (const client of clients) client.socket.close();
    // Let the $disconnect handlers finish before the engines stop.
    for (let i = 0; i < 100 && local.connectionIds().length > 0; i++) await new Promise((r) => setTimeout(r, 50));

    const requests = [...latencies.values()].reduce((n, v) => n + v.length, 0);
    const rows = [...latencies.entries()].map(([route, values]) => ({ route, ...summary(values) }));
    const all = summary([...latencies.values()].flat());
    const fan = summary(fanout);
    const f = (v: number) => v.toFixed(1);
    const doc = [
      `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, Node ${process.version}, ` +
        'in local mode (embedded Postgres, redis-server, the kit\'s REST and WebSocket adapters, handlers in one process).',
      '',
      `${CLIENTS} clients of one tenant, all connected over WebSocket for the whole run: ${OPERATORS} operators each create ${ROUNDS} commands ` +
        `and move each through running and succeeded; ${CLIENTS - OPERATORS} viewers each list and read ${ROUNDS} times. All clients run at once ` +
        `(${requests} requests in ${(wallMs / 1000).toFixed(1)} s, ${failures.length} failed).`,
      '',
      '| Route | requests | p50 ms | p95 ms | p99 ms | max ms |',
      '| --- | --- | --- | --- | --- | --- |',
      ...rows.map((r) => `| \`${r.route}\` | ${r.n} | ${f(r.p50)} | ${f(r.p95)} | ${f(r.p99)} | ${f(r.max)} |`),
      `| all API calls | ${all.n} | ${f(all.p50)} | ${f(all.p95)} | ${f(all.p99)} | ${f(all.max)} |`,
      `| status fan-out (request sent -> event read by each of ${CLIENTS} clients) | ${fan.n} deliveries, ${missing} missing | ${f(fan.p50)} | ${f(fan.p95)} | ${f(fan.p99)} | ${f(fan.max)} |`,
      '',
      `Target (seed 003): API responses under 100 ms with 50+ concurrent users: p95 of all API calls ${f(all.p95)} ms ` +
        `(${all.p95 < 100 ? 'met' : 'missed'}), p99 ${f(all.p99)} ms. What local mode does not include: API Gateway, Lambda cold starts and ` +
        'concurrency (handlers share one Node process here, where Lambda runs one request per container), RDS Proxy, IAM auth and network ' +
        'latency between services; read the figures as the handlers\' and engines\' share of the latency.',
    ].join('\n');

    process.stdout.write(doc + '\n');
    if (failures.length > 0) process.stderr.write(`failed requests:\n${failures.slice(0, 5).join('\n')}\n`);
    const file = path.resolve(__dirname, '..', 'docs', 'benchmarks.md');
    writeFileSync(file, replaceMarkedBlock(readFileSync(file, 'utf8'), START, END, doc + '\n'));
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
