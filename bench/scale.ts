import { readFileSync, readdirSync } from 'fs';
import * as path from 'path';
import { mdTable, median, runChild } from './measure';

/** Issue 12's sizes: services per app, 40 split over two stacks (CloudFormation's 500-resource limit). */
export const SCALE_SIZES = [5, 10, 20, 40];
const KINDS = ['library', 'l2'] as const;
type Kind = typeof KINDS[number];

interface ScaleRun {
  readonly perStack: number[];
  readonly byType: Record<string, number>;
  readonly findings: number;
  readonly constructMs: number;
  readonly synthMs: number;
  readonly nagMs: number;
}

export interface ScaleResult {
  readonly kind: Kind;
  readonly n: number;
  readonly resources: number;
  readonly perStack: number[];
  readonly byType: Record<string, number>;
  readonly findings: number;
  /** Median construct + synth + nag time, and its parts, over the runs. */
  readonly totalMs: number;
  readonly constructMs: number;
  readonly synthMs: number;
  readonly nagMs: number;
}

/**
 * `runs` rounds, each running every (kind, N) once in a fresh process (`bench/scale-app.ts`,
 * CDK_VALIDATION=false as the issue measured), round-robin so that load drifts alike; medians.
 */
export function scaleRuns(root: string, loader: string[], runs: number, log: (s: string) => void): ScaleResult[] {
  const samples = new Map<string, ScaleRun[]>();
  for (let i = 0; i < runs; i++) {
    for (const n of SCALE_SIZES) {
      for (const kind of KINDS) {
        const out = runChild('node', [...loader, 'bench/scale-app.ts', kind, String(n)], { cwd: root, env: { CDK_VALIDATION: 'false' } }).stdout;
        const key = `${kind}:${n}`;
        samples.set(key, [...(samples.get(key) ?? []), JSON.parse(out) as ScaleRun]);
      }
    }
    log(`  scale round ${i + 1}/${runs}`);
  }
  return SCALE_SIZES.flatMap((n) => KINDS.map((kind) => {
    const s = samples.get(`${kind}:${n}`)!;
    const first = s[0];
    return {
      kind,
      n,
      perStack: first.perStack,
      byType: first.byType,
      findings: first.findings,
      resources: first.perStack.reduce((a, b) => a + b, 0),
      totalMs: median(s.map((r) => r.constructMs + r.synthMs + r.nagMs)),
      constructMs: median(s.map((r) => r.constructMs)),
      synthMs: median(s.map((r) => r.synthMs)),
      nagMs: median(s.map((r) => r.nagMs)),
    };
  }));
}

const sec = (v: number): string => `${(v / 1000).toFixed(2)} s`;
const ms = (v: number): string => `${v.toFixed(1)} ms`;

/** Resources one added service costs, by type: (N=20 - N=10) / 10, both single stacks. */
function perServiceByType(results: ScaleResult[], kind: Kind): Map<string, number> {
  const at = (n: number) => results.find((r) => r.kind === kind && r.n === n)!.byType;
  const [a, b] = [at(10), at(20)];
  const types = new Set([...Object.keys(a), ...Object.keys(b)]);
  return new Map([...types].map((t) => [t, ((b[t] ?? 0) - (a[t] ?? 0)) / 10] as [string, number]).filter(([, v]) => v !== 0));
}

/** CloudVault's resource count per stack, from the templates of one synth. */
export function stackResourceCounts(templatesDir: string): Array<[string, number]> {
  return readdirSync(templatesDir).filter((f) => f.endsWith('.template.json')).sort().map((f) => [
    f.replace(/\.template\.json$/, ''),
    Object.keys(JSON.parse(readFileSync(path.join(templatesDir, f), 'utf8')).Resources ?? {}).length,
  ]);
}

/** The doc's "Scale" section. */
export function scaleSection(results: ScaleResult[], runs: number, cloudVault: Array<[string, number]>): string {
  const get = (kind: Kind, n: number) => results.find((r) => r.kind === kind && r.n === n)!;
  const rows = SCALE_SIZES.map((n) => {
    const lib = get('library', n);
    const l2 = get('l2', n);
    return [String(n), `${lib.resources} (${lib.perStack.join(' + ')})`, `${l2.resources} (${l2.perStack.join(' + ')})`,
      String(lib.findings), String(l2.findings),
      `${sec(lib.totalMs)} (${sec(lib.constructMs)} / ${sec(lib.synthMs)} / ${sec(lib.nagMs)})`,
      `${sec(l2.totalMs)} (${sec(l2.constructMs)} / ${sec(l2.synthMs)} / ${sec(l2.nagMs)})`,
      `${(lib.totalMs / l2.totalMs).toFixed(2)}x`];
  });
  const lib = perServiceByType(results, 'library');
  const l2 = perServiceByType(results, 'l2');
  const types = [...new Set([...lib.keys(), ...l2.keys()])].sort();
  const typeRows = [...types.map((t) => [t, String(lib.get(t) ?? 0), String(l2.get(t) ?? 0)]),
    ['**total**', String([...lib.values()].reduce((a, b) => a + b, 0)), String([...l2.values()].reduce((a, b) => a + b, 0))]];
  // Issue 12's budget: synth + nag time per added service at N = 20, i.e. (T(20) - T(10)) / 10
  // with both sizes in one stack; construct time is shown beside it.
  const perAdded = (kind: Kind, part: (r: ScaleResult) => number) => (part(get(kind, 20)) - part(get(kind, 10))) / 10;
  const synthNag = (r: ScaleResult) => r.synthMs + r.nagMs;
  const parts: Array<[string, (r: ScaleResult) => number]> = [
    ['synth + nag', synthNag],
    ['construct', (r) => r.constructMs],
    ['synth', (r) => r.synthMs],
    ['nag', (r) => r.nagMs],
    ['construct + synth + nag', (r) => r.totalMs],
  ];
  const addedRows = parts.map(([name, part]) => {
    const [a, b] = [perAdded('library', part), perAdded('l2', part)];
    return [name, ms(a), ms(b), `${(a / b).toFixed(2)}x`];
  });
  const resourcesPer = (kind: Kind) => (get(kind, 20).resources - get(kind, 10).resources) / 10;
  const perResource = (kind: Kind) => perAdded(kind, synthNag) / resourcesPer(kind);
  const budget = perAdded('library', synthNag) / perAdded('l2', synthNag);
  return `## Scale

Issue 12's yardstick (\`bench/scale-app.ts\`): N services of function + table + bucket + one GET route with read/write grants, built with the library (\`EnhancedLambdaFunction\`, \`SecureTable\`, \`SecureBucket\`, \`SecureRestApi\` with a Cognito authorizer) or with plain aws-cdk-lib L2s (same shape, L2 defaults), at most 20 services a stack (N = 40 is two stacks). Each (kind, N) runs in a fresh process with \`CDK_VALIDATION=false\`: construct the tree, \`app.synth()\`, then the five cdk-nag packs over the app; ${runs} round-robin rounds, medians. Findings are the five packs' unacknowledged findings (the plain-L2 composition is not meant to pass them).

| N | library resources (per stack) | plain L2 resources | library nag findings | L2 nag findings | library construct+synth+nag (construct / synth / nag) | plain L2 | library / L2 |
|---|---|---|---|---|---|---|---|
${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}

Time one added service costs at N = 20 ((N = 20 - N = 10) / 10, medians of the rounds):

${mdTable(['part', 'library', 'plain L2', 'library / L2'], addedRows)}

Synth + nag per added service: **${budget.toFixed(2)}x** the plain-L2 composition's (issue 12's budget: 1.5x). Per added resource the library costs ${ms(perResource('library'))} of synth + nag and the plain L2s ${ms(perResource('l2'))} (${resourcesPer('library')} and ${resourcesPer('l2')} resources a service): most of the ratio is the resource count, which the secure defaults set (log group, dead-letter queue and its TLS policy, bucket policy, alarms; the plain L2s have none of them and fail the packs ${get('l2', 20).findings} times at N = 20).

Resources one added service costs, by type ((N = 20 - N = 10) / 10):

${mdTable(['type', 'library', 'plain L2'], typeRows)}

CloudVault (dev profile) resources per stack, from the synth runs above:

${mdTable(['stack', 'resources'], cloudVault.map(([s, n]) => [s, String(n)]))}
`;
}
