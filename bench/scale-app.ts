/**
 * One measurement of issue 12's scale yardstick, run in a fresh process by bench/scale.ts:
 * N "services" (function + table + bucket + one GET route, with read/write grants) built with the
 * library or with plain aws-cdk-lib L2s, at most 20 services a stack (40 go into two stacks).
 * Prints JSON: resources by type, and the construct, synth and cdk-nag (five packs) times.
 *
 *   node -r esbuild-register bench/scale-app.ts <library|l2> <N>
 */
import { performance } from 'perf_hooks';
import { App, Stack } from 'aws-cdk-lib';
import { l2Services, libraryServices } from './scale-composition';
import { allNagPacks } from '../test/support/nag-harness';

const [kind, nArg] = process.argv.slice(2);
const n = Number(nArg);
if (!['library', 'l2'].includes(kind) || !(n > 0)) throw new Error('usage: scale-app.ts <library|l2> <N>');
const PER_STACK = 20;
const env = { account: '123456789012', region: 'eu-west-1' };

const t0 = performance.now();
const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const stacks: Stack[] = [];
for (let from = 0; from < n; from += PER_STACK) {
  const stack = new Stack(app, `Services${from / PER_STACK}`, { env });
  (kind === 'library' ? libraryServices : l2Services)(stack, from, Math.min(n, from + PER_STACK));
  stacks.push(stack);
}
const t1 = performance.now();
const assembly = app.synth();
const t2 = performance.now();
let findings = 0;
for (const pack of allNagPacks()) {
  findings += pack.validateScope(app).violations.reduce((sum, v) => sum + v.violatingResources.length, 0);
}
const t3 = performance.now();

const byType: Record<string, number> = {};
const perStack: number[] = [];
for (const stack of stacks) {
  const resources = Object.values<{ Type: string }>(assembly.getStackByName(stack.stackName).template.Resources ?? {});
  perStack.push(resources.length);
  for (const r of resources) byType[r.Type] = (byType[r.Type] ?? 0) + 1;
}
process.stdout.write(JSON.stringify({ kind, n, perStack, byType, findings, constructMs: t1 - t0, synthMs: t2 - t1, nagMs: t3 - t2 }));
