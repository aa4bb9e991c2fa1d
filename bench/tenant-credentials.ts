/**
 * What CloudVault's tenant-scoped credentials (issue 17 Medium 5, handlers/lib/tenant-credentials.ts)
 * add to a request, against a stub STS on loopback (apps/cloudvault/test/support/sts-stub.ts):
 *
 * - uncached: the first request of a tenant in a warm container: one AssumeRole (HTTP round trip on
 *   loopback, SigV4 signing with the function's credentials, XML parsing), a new tenant each time;
 * - cached: every further request of that tenant until 5 minutes before its session expires (the
 *   SDK's memoized provider answers without a call);
 * - client lookup: `ddb()` inside a tenant request once the tenant's clients exist (the
 *   AsyncLocalStorage scope and the per-tenant map).
 *
 * `npx projen bench:tenant-credentials` writes the figures between the markers in docs/benchmarks.md.
 */
import '../apps/kit/test/handler-env'; // before the handlers load: Powertools logs and metrics off
import { readFileSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TENANT_CREDENTIALS_SECTION } from './kept-section';
import { ddb } from '../apps/cloudvault/handlers/lib/clients';
import { enterTenant, resetTenantCredentials, tenantCredentials, withRequestScope } from '../apps/cloudvault/handlers/lib/tenant-credentials';
import { startStsStub } from '../apps/cloudvault/test/support/sts-stub';
import { replaceMarkedBlock } from '../apps/kit/build/architecture-block';

const arg = (name: string, fallback: number) => Number(process.argv[process.argv.indexOf(name) + 1]) || fallback;
const UNCACHED = arg('--uncached', 2000);
const CACHED = arg('--cached', 20000);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function time(n: number, fn: (i: number) => Promise<unknown>): Promise<{ n: number; p50: number; p95: number; p99: number; max: number }> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    await fn(i);
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return { n, p50: percentile(ms, 50), p95: percentile(ms, 95), p99: percentile(ms, 99), max: ms[ms.length - 1] };
}

async function main(): Promise<void> {
  const sts = await startStsStub();
  Object.assign(process.env, {
    STS_ENDPOINT: sts.endpoint,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIABENCH',
    AWS_SECRET_ACCESS_KEY: 'bench-secret',
    TENANT_ACCESS_ROLE_ARN: 'arn:aws:iam::123456789012:role/TenantAccess',
  });
  try {
    resetTenantCredentials();
    await tenantCredentials('warm-up')(); // the STS client and the signer's first use
    await time(200, (i) => tenantCredentials(`warm-${i}`)());
    const uncached = await time(UNCACHED, (i) => tenantCredentials(`tenant-${i}`)());
    const cached = await time(CACHED, () => tenantCredentials('tenant-0')());
    await withRequestScope(async () => {
      enterTenant('tenant-0');
      ddb();
    });
    const lookup = await time(CACHED, () => withRequestScope(async () => {
      enterTenant('tenant-0');
      return ddb();
    }));
    const fmt = (v: number) => v.toFixed(3);
    const row = (name: string, s: Awaited<ReturnType<typeof time>>) => `| ${name} | ${s.n} | ${fmt(s.p50)} | ${fmt(s.p95)} | ${fmt(s.p99)} | ${fmt(s.max)} |`;
    const cpu = os.cpus();
    const block = [
      `Measured ${new Date().toISOString().slice(0, 10)} on ${cpu.length} × ${cpu[0]?.model.split(' ').slice(0, 2).join(' ')}, Node ${process.version}, one process, STS stubbed on loopback (${sts.requests.length} AssumeRole calls served).`,
      '',
      'Method: `bench/tenant-credentials.ts` resolves tenant credentials through the handlers\' own seam (`tenantCredentials(tenant)()`, the provider the tenant\'s DynamoDB and S3 clients share) after a warm-up of 200 tenants. *Uncached*: a new tenant each time, so every call is one AssumeRole (request signed with the function\'s credentials, HTTP on loopback, XML parsed). *Cached*: the same tenant again (the SDK\'s `memoizeIdentityProvider` answers until 5 minutes before the 15-minute session ends). *Client lookup*: a request scope, `enterTenant` and `ddb()` returning the tenant\'s existing client. Sequential calls, `process.hrtime`.',
      '',
      '| Resolution | calls | p50 ms | p95 ms | p99 ms | max ms |',
      '| --- | --- | --- | --- | --- | --- |',
      row('uncached (one AssumeRole per call)', uncached),
      row('cached (same tenant)', cached),
      row('client lookup in a tenant request (`ddb()`)', lookup),
      '',
      `Reading: the seam costs a request one AssumeRole (p50 ${fmt(uncached.p50)} ms here, plus the real STS round trip in the region: tens of milliseconds) the first time a container serves a tenant and again about every 10 minutes per tenant; every other request pays ${fmt(cached.p50)} ms (p50) for the credentials and ${fmt(lookup.p50)} ms for picking the tenant's client. Not included: STS latency and throttling in AWS (AssumeRole has an account-wide request quota: a container per tenant per 10 minutes stays far below it), the first TLS connection of each tenant's new clients, and memory for up to 100 tenants' clients per container.`,
    ].join('\n');
    const doc = path.join(__dirname, '..', 'docs', 'benchmarks.md');
    writeFileSync(doc, replaceMarkedBlock(readFileSync(doc, 'utf8'), TENANT_CREDENTIALS_SECTION.start, TENANT_CREDENTIALS_SECTION.end, block + '\n'));
    // eslint-disable-next-line no-console
    console.log(block);
  } finally {
    await sts.stop();
  }
}

main().catch((err) => {
  // eslint-disable-next-line no-console
  console.error(err);
  process.exit(1);
});
