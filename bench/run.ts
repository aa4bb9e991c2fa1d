/**
 * Benchmarks for issue 6: CloudVault synth vs a CfnInclude floor, handler bundle size and module
 * init vs an empty bundle, the same handlers built other ways (SDK from the runtime, CommonJS,
 * without the tracer) and single-dependency probes, and jest wall times with the synth and cdk-nag
 * time of each test file. Prints tables and writes docs/benchmarks.md.
 *
 *   npx ts-node --transpile-only --project tsconfig.dev.json bench/run.ts [--quick] [--all-variants] [--synth-runs N] [--init-runs N] [--scale-runs N]
 *
 * --quick skips the jest timings; --all-variants builds every variant for every handler (by default
 * only the SDK variant is, the others for three representative handlers).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { BundleInfo, handlerBundles } from './handlers';
import { COMMAND_CENTER_SECTION, TENANT_CREDENTIALS_SECTION } from './kept-section';
import { HAS_TIME, mdTable, median, runChild, textTable } from './measure';
import { PROBES, ProbeBundle, buildProbes, zodDifferences } from './probes';
import { scaleRuns, scaleSection, stackResourceCounts } from './scale';
import { jestStartup, jestSuite } from './tests';
import { VariantBundle, buildVariants, variants } from './variants';

const ROOT = path.resolve(__dirname, '..');
const DOC = path.join(ROOT, 'docs', 'benchmarks.md');
const args = process.argv.slice(2);
const flag = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const QUICK = args.includes('--quick');
const ALL_VARIANTS = args.includes('--all-variants');
const SYNTH_RUNS = flag('--synth-runs', 5);
const INIT_RUNS = flag('--init-runs', 20);
const SCALE_RUNS = flag('--scale-runs', 3);
const SYNTH_BUDGET = 1.5;
const INIT_BUDGET = 2;
const BUNDLE_BUDGET = 300 * 1024;
const SUITE_BUDGET_MS = 3 * 60 * 1000;
// Same loader as `npx projen cloudvault` and cdk.json (esbuild-register), without the projen/npx startup.
const APP_LOADER = ['-r', 'esbuild-register'];

const kib = (b: number): string => `${(b / 1024).toFixed(1)} KiB`;
const ms = (v: number): string => `${v.toFixed(v < 10 ? 2 : 0)} ms`;
const sec = (v: number): string => `${(v / 1000).toFixed(1)} s`;
const mib = (k?: number): string => (k === undefined ? 'n/a' : `${(k / 1024).toFixed(0)} MiB`);
const log = (s: string): void => void process.stderr.write(s + '\n');
const rel = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;
// Variant and probe bundles live inside the repo so that an external `@aws-sdk/*` import resolves
// to node_modules (the local stand-in for the Lambda runtime's copy); removed at the end.
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'cv-bench');

function templatesOf(dir: string, into: string): number {
  let n = 0;
  for (const f of readdirSync(dir)) {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) {
      n += templatesOf(p, into);
    } else if (f.endsWith('.template.json')) {
      cpSync(p, path.join(into, f));
      n++;
    }
  }
  return n;
}

interface SynthResult { wall: number; rss?: number; walls: number[]; templates: number }

// aws-cdk-lib validates every synthesized template against the CloudFormation registry schemas and
// default rules (@aws/cloudformation-validate, WebAssembly) unless CDK_VALIDATION=false; main.ts's
// `@aws-cdk/core:validateAgainstDefaultRules` only turns its findings from warnings into errors.
const VALIDATION_OFF = { CDK_VALIDATION: 'false' };

interface SynthRuns { app: SynthResult; floor: SynthResult; appNoValidation: SynthResult; floorNoValidation: SynthResult }

/**
 * The app and its CfnInclude floor, each with and without the CloudFormation template validation
 * main.ts turns on, run round-robin (one of each per round) so that load drifting on a shared
 * machine affects all four alike.
 */
function synth(tmp: string): SynthRuns {
  const templatesDir = path.join(tmp, 'templates');
  mkdirSync(templatesDir);
  let templates = 0;
  const kinds = ['app', 'floor', 'appNoValidation', 'floorNoValidation'] as const;
  const walls = Object.fromEntries(kinds.map((k) => [k, [] as number[]])) as Record<typeof kinds[number], number[]>;
  const rss = Object.fromEntries(kinds.map((k) => [k, [] as number[]])) as Record<typeof kinds[number], number[]>;
  for (let i = 0; i < SYNTH_RUNS; i++) {
    for (const kind of kinds) {
      const outdir = path.join(tmp, `${kind}-${i}`);
      const validation = kind === 'app' || kind === 'floor';
      const r = kind.startsWith('app')
        ? runChild('node', [...APP_LOADER, 'apps/cloudvault/infra/main.ts'], { cwd: ROOT, env: { CDK_OUTDIR: outdir, ...(validation ? {} : VALIDATION_OFF) } })
        : runChild('node', [...APP_LOADER, 'bench/include-app.ts', templatesDir, outdir], { cwd: ROOT, env: validation ? {} : VALIDATION_OFF });
      walls[kind].push(r.wallMs); if (r.maxRssKiB) rss[kind].push(r.maxRssKiB);
      if (i === 0 && kind === 'app') templates = templatesOf(outdir, templatesDir);
      rmSync(outdir, { recursive: true, force: true });
    }
    log(`  synth round ${i + 1}/${SYNTH_RUNS}: ${kinds.map((k) => `${k} ${sec(walls[k][i])}`).join(', ')}`);
  }
  const pack = (kind: typeof kinds[number]): SynthResult => ({
    wall: median(walls[kind]), rss: rss[kind].length ? median(rss[kind]) : undefined, walls: walls[kind], templates,
  });
  return { app: pack('app'), floor: pack('floor'), appNoValidation: pack('appNoValidation'), floorNoValidation: pack('floorNoValidation') };
}

/**
 * Module init of each file: INIT_RUNS rounds, each loading every file once in a fresh process
 * (round-robin, so that load changing on a shared machine affects all files alike); the median per file.
 */
function initTimes(files: string[]): Map<string, number> {
  const runs = new Map<string, number[]>(files.map((f) => [f, []]));
  for (let i = 0; i < INIT_RUNS; i++) {
    for (const file of files) {
      runs.get(file)!.push(Number(runChild('node', [path.join(__dirname, 'handler-init.mjs'), pathToFileURL(file).href], { cwd: ROOT }).stdout));
    }
    if ((i + 1) % 5 === 0) log(`  round ${i + 1}/${INIT_RUNS}`);
  }
  return new Map([...runs].map(([f, r]) => [f, median(r)]));
}

async function main(): Promise<void> {
  const benchStart = Date.now();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cv-bench-'));
  rmSync(CACHE, { recursive: true, force: true });
  const cpus = os.cpus();
  const machine = [
    `- CPU: ${cpus.length} x ${cpus[0]?.model ?? 'unknown'}${cpus[0]?.speed ? ` (${cpus[0].speed} MHz)` : ''}`,
    `- Memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB total, ${(os.freemem() / 2 ** 30).toFixed(1)} GiB free at start`,
    `- OS: ${os.type()} ${os.release()} ${os.arch()}; Node ${process.version}`,
    `- Load average at start (1/5/15 min): ${os.loadavg().map((l) => l.toFixed(2)).join(' / ')}`,
    `- Date: ${new Date().toISOString()}`,
  ];

  // Measure a snapshot: a concurrent `bundle:handlers` (tests spawn it) empties assets/handlers while it rebuilds.
  const assets = path.join(ROOT, 'apps', 'cloudvault', 'assets', 'handlers');
  if (!existsSync(assets)) throw new Error('apps/cloudvault/assets/handlers is missing: run "npx projen bundle:handlers" (npx projen bench does it first)');
  cpSync(assets, path.join(CACHE, 'shipped'), { recursive: true });
  log('handlers: building empty baseline and metafile ...');
  const { empty, bundles } = await handlerBundles(ROOT, path.join(CACHE, 'shipped'));
  const withSdk = new Set(bundles.filter((b) => b.packages.some((p) => p.startsWith('@aws-sdk/'))).map((b) => b.name));
  // Representatives for the variants not built for every handler: the smallest bundle, and the smallest and largest with the SDK.
  const bySize = [...bundles].sort((a, b) => a.bytes - b.bytes);
  const sdkBySize = bySize.filter((b) => withSdk.has(b.name));
  const representatives = new Set(ALL_VARIANTS ? bundles.map((b) => b.name)
    : [bySize[0], sdkBySize[0], sdkBySize[sdkBySize.length - 1]].filter((b) => b !== undefined).map((b) => b.name));
  log('handlers: building variants and probes ...');
  const variantBundles = await buildVariants(ROOT, path.join(CACHE, 'variants'), bundles.map((b) => b.name), representatives, withSdk, log);
  const probes = await buildProbes(ROOT, path.join(CACHE, 'probes'));
  const files = [empty.file, ...bundles.map((b) => b.file), ...variantBundles.map((v) => v.file), ...probes.map((p) => p.file)];
  log(`handlers: init time of ${files.length} bundles (empty, shipped, variants, probes), ${INIT_RUNS} rounds of fresh processes ...`);
  const initOf = initTimes(files);
  const emptyInit = initOf.get(empty.file)!;
  const inits = new Map<string, number>(bundles.map((b) => [b.name, initOf.get(b.file)!]));
  const variantInits = new Map<VariantBundle, number>(variantBundles.map((v) => [v, initOf.get(v.file)!]));
  const probeInits = new Map<ProbeBundle, number>(probes.map((p) => [p, initOf.get(p.file)!]));
  const zod = zodDifferences();

  log(`synth: ${SYNTH_RUNS} rounds of app and CfnInclude floor, with and without template validation, fresh processes ...`);
  const { app, floor, appNoValidation, floorNoValidation } = synth(tmp);
  const synthRatio = app.wall / floor.wall;
  const synthRatioNoValidation = appNoValidation.wall / floorNoValidation.wall;
  const cloudVaultStacks = stackResourceCounts(path.join(tmp, 'templates'));

  log(`scale: ${SCALE_RUNS} rounds of N = 5, 10, 20, 40 services, library and plain L2, fresh processes ...`);
  const scale = scaleRuns(ROOT, APP_LOADER, SCALE_RUNS, log);

  let suite: Awaited<ReturnType<typeof jestSuite>> | undefined;
  let startup: number | undefined;
  if (!QUICK) {
    log('tests: jest startup without tests ...');
    startup = jestStartup(ROOT);
    log('tests: full suite, timing synth and cdk-nag per file ...');
    suite = jestSuite(ROOT, tmp, log);
  }
  rmSync(tmp, { recursive: true, force: true });
  rmSync(CACHE, { recursive: true, force: true });
  rmSync(path.resolve(empty.file, '..', '..', '..'), { recursive: true, force: true }); // <tmp>/out/empty/index.mjs
  const totalMs = Date.now() - benchStart;

  // Tables (same rows for console and doc).
  const synthHead = ['Synth', 'median wall', 'runs (s)', 'median peak RSS'];
  const synthRows = [
    [`CloudVault dev stage, 5 nag packs (${app.templates} templates)`, sec(app.wall), app.walls.map((w) => (w / 1000).toFixed(1)).join(', '), mib(app.rss)],
    ['Floor: same templates via CfnInclude, no nag', sec(floor.wall), floor.walls.map((w) => (w / 1000).toFixed(1)).join(', '), mib(floor.rss)],
    ['**Ratio app / floor**', `${synthRatio.toFixed(2)}x`, '', app.rss && floor.rss ? `${(app.rss / floor.rss).toFixed(2)}x` : 'n/a'],
    ['App without the template validation', sec(appNoValidation.wall), appNoValidation.walls.map((w) => (w / 1000).toFixed(1)).join(', '), mib(appNoValidation.rss)],
    ['Floor without the template validation', sec(floorNoValidation.wall), floorNoValidation.walls.map((w) => (w / 1000).toFixed(1)).join(', '), mib(floorNoValidation.rss)],
    ['Ratio without validation', `${synthRatioNoValidation.toFixed(2)}x`, '', appNoValidation.rss && floorNoValidation.rss ? `${(appNoValidation.rss / floorNoValidation.rss).toFixed(2)}x` : 'n/a'],
  ];
  const handlerHead = ['Handler', 'bundle', 'gzip', 'size vs 300 KiB', 'init (median)', 'init vs empty'];
  const handlerRow = (b: BundleInfo, init: number): string[] => [
    b.name, kib(b.bytes), kib(b.gzipBytes), b.bytes < BUNDLE_BUDGET ? 'ok' : 'OVER', ms(init), rel(init, emptyInit),
  ];
  const handlerRows = [handlerRow(empty, emptyInit), ...bundles.map((b) => handlerRow(b, inits.get(b.name)!))];
  const inputsHead = ['Handler', '#', 'input', 'bytes in output'];
  const inputsRows = bundles.flatMap((b) => b.topInputs.map((t, i) => [i === 0 ? b.name : '', String(i + 1), `\`${t.input}\``, kib(t.bytes)]));
  const packagesRows = bundles.flatMap((b) => b.topPackages.map((t, i) => [i === 0 ? b.name : '', String(i + 1), `\`${t.input}\``, kib(t.bytes)]));
  const packagesHead = ['Handler', '#', 'package', 'bytes in output'];

  const SHIPPED = 'esm, SDK bundled (shipped)';
  const variantOf = (handler: string, variant: string): { bytes: number; gzipBytes: number; init: number } | undefined => {
    if (variant === SHIPPED) {
      const b = bundles.find((x) => x.name === handler)!;
      return { bytes: b.bytes, gzipBytes: b.gzipBytes, init: inits.get(handler)! };
    }
    const v = variantBundles.find((x) => x.handler === handler && x.variant === variant);
    return v && { bytes: v.bytes, gzipBytes: v.gzipBytes, init: variantInits.get(v)! };
  };
  const variantNames = [SHIPPED, ...variants(ROOT).map((v) => v.name)];
  const variantHead = ['Handler', 'build', 'bundle', 'gzip', 'init (median)', 'init vs shipped'];
  const variantRows = bundles.flatMap((b) => variantNames.flatMap((name, i) => {
    const v = variantOf(b.name, name);
    return v ? [[i === 0 ? b.name : '', name, kib(v.bytes), kib(v.gzipBytes), ms(v.init), rel(v.init, inits.get(b.name)!)]] : [];
  }));
  const probeHead = ['Probe', 'what', 'bundle', 'gzip', 'init (median)', 'init vs empty'];
  const probeRows = probes.map((p) => {
    const init = probeInits.get(p)!;
    return [p.name, p.description, kib(p.bytes), kib(p.gzipBytes), ms(init), rel(init, emptyInit)];
  });

  const testHead = ['Test file', 'in worker', 'synth', 'cdk-nag', 'stacks nagged', 'nag, first stack', 'nag per further stack', 'rest', 'result'];
  const testRows = suite ? [
    ['jest startup, no test file (`npx jest --passWithNoTests` matching nothing)', sec(startup!), '', '', '', '', '', '', ''],
    ...suite.files.map((f) => {
      const stacks = f.nagRuns / 5;
      const further = stacks > 1 && f.nag !== undefined && f.nagFirst !== undefined ? ms((f.nag - f.nagFirst) / (stacks - 1)) : '-';
      return [`\`${f.file}\``, sec(f.wall), f.synth === undefined ? 'n/a' : sec(f.synth), f.nag === undefined ? '-' : sec(f.nag),
        stacks ? String(stacks) : '-', f.nagFirst === undefined ? '-' : ms(f.nagFirst), further,
        sec(f.wall - (f.synth ?? 0) - (f.nag ?? 0)), f.ok ? 'pass' : 'FAIL'];
    }),
    ['full suite (`npx jest --coverage=false`), wall', sec(suite.wall), '', '', '', '', '', '', suite.ok ? 'pass' : 'FAIL'],
  ] : [];

  console.log(textTable(synthHead, synthRows) + '\n');
  console.log(textTable(handlerHead, handlerRows) + '\n');
  console.log(textTable(inputsHead, inputsRows) + '\n');
  console.log(textTable(packagesHead, packagesRows) + '\n');
  console.log(textTable(variantHead, variantRows) + '\n');
  console.log(textTable(probeHead, probeRows) + '\n');
  if (suite) console.log(textTable(testHead, testRows) + '\n');
  console.log(`bench total: ${sec(totalMs)}`);

  // Decisions the bench checks: each states the choice made and whether this run still supports it.
  const decisions: string[] = [];
  const pairs = (a: string, b: string): { handler: string; a: number; b: number }[] => bundles.flatMap((x) => {
    const va = variantOf(x.name, a); const vb = variantOf(x.name, b);
    return va && vb ? [{ handler: x.name, a: va.init, b: vb.init }] : [];
  });
  // One comparison summarized: how often `a` was faster, the median time ratio b/a, and the exceptions.
  const compare = (list: { handler: string; a: number; b: number }[]): { wins: number; ratio: number; exceptions: string } => ({
    wins: list.filter((p) => p.a < p.b).length,
    ratio: median(list.map((p) => p.b / p.a)),
    exceptions: list.filter((p) => p.a >= p.b).map((p) => `${p.handler} ${ms(p.a)} vs ${ms(p.b)}`).join(', '),
  });
  const esmSdk = pairs(SHIPPED, 'esm, SDK from runtime');
  const cjsSdk = pairs('cjs, SDK bundled', 'cjs, SDK from runtime');
  if (esmSdk.length + cjsSdk.length) {
    const all = compare([...esmSdk, ...cjsSdk]);
    const part = (name: string, list: typeof esmSdk): string => {
      if (!list.length) return '';
      const c = compare(list);
      return `${name}: bundled faster for ${c.wins} of ${list.length} handlers, the runtime's copy takes ${c.ratio.toFixed(2)}x the init (median)` +
        `${c.exceptions ? ` (not faster: ${c.exceptions})` : ''}`;
    };
    const holds = all.wins >= 0.8 * (esmSdk.length + cjsSdk.length) && all.ratio > 1.1;
    decisions.push('- **AWS SDK v3: bundled, not the runtime\'s copy.** ' + [part('ES module', esmSdk), part('CommonJS', cjsSdk)].filter(Boolean).join('; ') + '. ' +
      (holds
        ? '**Holds**: keep the SDK out of the handlers\' `external` list and `bundleAwsSDK: true` as EnhancedLambdaFunction\'s default. '
        : '**Does not hold clearly in this run** (bundled must win at least 80% of the comparisons with a median ratio above 1.1x): re-run on a quiet machine before relying on it. ') +
      'Taken from the runtime, a client is loaded as whole CommonJS packages (every command, and every client a shared module imports even if the handler never uses it), ' +
      'one file per package; the bundle holds only the tree-shaken code paths.');
  }
  const mainFirst = pairs('cjs, SDK bundled', 'cjs, SDK bundled, main first');
  if (mainFirst.length) {
    const c = compare(mainFirst);
    decisions.push('- **`mainFields: [\'module\', \'main\']`** (the ES module builds, tree-shaken) vs esbuild\'s Node default (`main` first, the CommonJS builds): ' +
      `faster for ${c.wins} of ${mainFirst.length} handlers, main-first takes ${c.ratio.toFixed(2)}x the init (median)${c.exceptions ? ` (not faster: ${c.exceptions})` : ''}; ` +
      `${c.wins === mainFirst.length ? '**holds**' : '**does not hold everywhere**'} as the handlers\' and EnhancedLambdaFunction\'s default.`);
  }
  const format = pairs(SHIPPED, 'cjs, SDK bundled');
  if (format.length) {
    const c = compare(format.map((p) => ({ handler: p.handler, a: p.b, b: p.a }))); // a = CommonJS
    decisions.push(`- **Module format.** CommonJS (loaded with require()) was faster than the shipped ES module for ${c.wins} of ${format.length} handlers; ` +
      `ES module takes ${c.ratio.toFixed(2)}x the init of CommonJS (median). The handlers ship ES modules; ${c.wins === format.length && c.ratio > 1.1
        ? 'this run suggests CommonJS would start faster: confirm on a quiet machine before switching (the bundles would become `index.cjs`).'
        : 'this run gives no clear reason to switch.'}`);
  }
  const tracer = pairs(SHIPPED, 'esm, no tracer at init');
  const tracerProbe = probes.find((p) => p.name === 'tracer');
  if (tracer.length && tracerProbe) {
    decisions.push(`- **Powertools tracer.** Without the tracer at init the handlers take ${median(tracer.map((p) => p.b / p.a)).toFixed(2)}x the init (median; ` +
      `${tracer.map((p) => `${p.handler} ${ms(p.a)} -> ${ms(p.b)}`).join(', ')}); the tracer alone takes ${ms(probeInits.get(tracerProbe)!)} and ${kib(tracerProbe.bytes)} ` +
      '(aws-xray-sdk-core with cls-hooked and semver, which the Lambda runtime does not ship, so it cannot be marked external). Every API invocation uses the tracer ' +
      '(subsegment, annotations), so lazy-loading it would move this time from init to the first request of each instance rather than remove it: kept eager.');
  }
  const zc = probes.find((p) => p.name === 'zod-classic'); const zm = probes.find((p) => p.name === 'zod-mini');
  if (zc && zm) {
    decisions.push(`- **zod/mini.** The handlers' schemas take ${kib(zc.bytes)} and ${ms(probeInits.get(zc)!)} with \`zod\`, ${kib(zm.bytes)} and ${ms(probeInits.get(zm)!)} with \`zod/mini\` ` +
      `(English locale loaded); over ${zod.cases} valid and invalid inputs the results and error messages are ${zod.differences.length === 0 ? '**identical**' : `**different in ${zod.differences.length}**: ${zod.differences.slice(0, 3).join('; ')}`}. ` +
      'Switching every handler schema to zod/mini saves that difference in every zod-using bundle (the lead applies it after the handlers settle: both APIs in one bundle would cost more than either).');
  }

  // Budgets, each with the numbers that explain it.
  const synthOk = synthRatio <= SYNTH_BUDGET;
  const verdicts = [
    `- Synth <= ${SYNTH_BUDGET}x floor: **${synthOk ? 'holds' : 'does not hold'}** (${synthRatio.toFixed(2)}x: ${sec(app.wall)} vs ${sec(floor.wall)}). ` +
      `The constructs, their aspects and the five nag packs add ${sec(app.wall - floor.wall)} and ${mib(app.rss && floor.rss ? app.rss - floor.rss : undefined)} ` +
      'over the floor, which itself is mostly loading aws-cdk-lib and writing and validating the same templates. ' +
      'Both sides run aws-cdk-lib\'s CloudFormation template validation (registry schemas and default rules, WebAssembly), ' +
      `which takes ${sec(app.wall - appNoValidation.wall)} of the app's time and ${sec(floor.wall - floorNoValidation.wall)} of the floor's; ` +
      `with it off on both sides (\`CDK_VALIDATION=false\`) the ratio is ${synthRatioNoValidation.toFixed(2)}x.`,
    ...bundles.map((b) => {
      const init = inits.get(b.name)! / emptyInit;
      const pkgs = b.topPackages.slice(0, 3).map((t) => `\`${t.input}\` ${kib(t.bytes)}`).join(', ');
      return `- \`${b.name}\`: bundle ${kib(b.bytes)} **${b.bytes < BUNDLE_BUDGET ? 'under' : 'over'}** 300 KiB; ` +
        `init ${ms(inits.get(b.name)!)} = ${init.toFixed(2)}x empty, **${init <= INIT_BUDGET ? 'holds' : 'does not hold'}** (<= ${INIT_BUDGET}x). ` +
        `Largest packages: ${pkgs || 'n/a'}.`;
    }),
  ];
  if (bundles.some((b) => inits.get(b.name)! / emptyInit > INIT_BUDGET)) {
    verdicts.push(`- Why init misses: module init grows with the code Node must parse and evaluate at import; the empty baseline (${ms(emptyInit)}) is ` +
      'only the cost of loading an ES module, so 2x empty leaves room for a few KiB. ' +
      (tracerProbe ? `The Powertools tracer alone takes ${ms(probeInits.get(tracerProbe)!)} (${rel(probeInits.get(tracerProbe)!, emptyInit)} empty), so no handler that traces can meet it; ` : '') +
      'see the decisions above for what was measured to shrink it.');
  }
  if (bundles.some((b) => b.bytes >= BUNDLE_BUDGET)) {
    verdicts.push('- Why the bundles exceed 300 KiB (the notes the budget asks for): every handler over it carries AWS SDK v3 clients ' +
      '(`@smithy/core` alone is about 130-140 KiB, `@aws-sdk/client-s3` about 100 KiB), bundled on purpose because the bundle initializes ' +
      'faster than the runtime\'s copy (see the decisions above: the size is paid for with a faster cold start, and only the commands used are in it). ' +
      'What is not the SDK was cut where it was measured to pay: zod/mini instead of zod (about 60 KiB per bundle), source maps without sources; ' +
      'the tracer (aws-xray-sdk-core) stays, see above. The file-processor ships sharp and libvips for linux-arm64 (about 18 MiB) next to its bundle: ' +
      'image processing, as the issue allows.');
  }
  if (suite) {
    const slowest = [...suite.files].sort((a, b) => b.wall - a.wall).slice(0, 3).map((f) => `\`${f.file}\` ${sec(f.wall)}`).join(', ');
    const nagTotal = suite.files.reduce((a, f) => a + (f.nag ?? 0), 0);
    const synthTotal = suite.files.reduce((a, f) => a + (f.synth ?? 0), 0);
    const inWorkers = suite.files.reduce((a, f) => a + f.wall, 0);
    verdicts.push(`- Full test suite < 3 min: **${suite.ok && suite.wall < SUITE_BUDGET_MS ? 'holds' : 'does not hold'}** ` +
      `(${sec(suite.wall)}${suite.ok ? '' : ', suite FAILED'}). Of ${sec(inWorkers)} spent in test files (2 workers), synth took ${sec(synthTotal)} and cdk-nag ${sec(nagTotal)}; ` +
      `jest itself starts in ${sec(startup!)}. Slowest files: ${slowest}.`);
  } else {
    verdicts.push('- Full test suite < 3 min: not measured in this run (`--quick`).');
  }
  const endLoad = os.loadavg().map((l) => l.toFixed(2)).join(' / ');

  const doc = `# Benchmarks

Generated by \`bench/run.ts\` (\`npx projen bench\`${QUICK ? ', run with `--quick`' : ''}); numbers below are from one real run on the machine described. Re-run after changing the app or the handlers; the numbers move with machine load.

## Method

- **Synth.** What \`npx projen cloudvault\` runs: \`apps/cloudvault/infra/main.ts\` under the esbuild-register loader (\`node -r esbuild-register\`, as the task and cdk.json run it; projen's and npx's own startup is not counted; under \`ts-node --transpile-only\` the same synth took about 1 s more, mostly the TypeScript compiler transpiling src), dev profile, all five cdk-nag packs (AwsSolutions, HIPAA, NIST 800-53 R5, PCI DSS 3.2.1, Serverless), each run in a fresh node process writing to a temporary \`CDK_OUTDIR\`. Wall time is measured by the parent around the child; peak RSS is \`/usr/bin/time -v\`'s "Maximum resident set size" of the child${HAS_TIME ? '' : ' (not available on this machine: n/a)'}. Median of ${SYNTH_RUNS} runs.
- **Synth floor.** The ${app.templates} templates synthesized by the first app run, re-synthesized by \`bench/include-app.ts\`: a bare \`App\` with one stack per template holding one \`cloudformation_include.CfnInclude\`, no nag, same loader, fresh process, median of ${SYNTH_RUNS}. Both run aws-cdk-lib's CloudFormation template validation (on by default; it checks templates, not constructs); a second pair of rows turns it off on both sides with \`CDK_VALIDATION=false\`. App and floor runs alternate, one of each per round. The ratio app/floor is what the constructs, aspects and nag packs cost on top of loading aws-cdk-lib, writing and validating the same CloudFormation. Budget: <= ${SYNTH_BUDGET}x.
- **Handlers.** For each folder in \`apps/cloudvault/assets/handlers/\` (built by \`npx projen bundle:handlers\`, copied at the start so that a concurrent rebuild cannot disturb the run): size of \`index.mjs\` in bytes and gzipped (zlib level 9). Module init: a fresh \`node\` process runs \`bench/handler-init.mjs\`, which times loading the bundle with \`performance.now()\` and exits: \`await import()\` for \`.mjs\`, \`require()\` for \`.cjs\`, as the Lambda Node.js runtime loads them; median of ${INIT_RUNS} processes. Baseline: \`export const handler = async () => ({})\` bundled with the same esbuild options (\`bench/handlers.ts\` imports them from \`apps/kit/build/bundle-handlers.ts\`). Init is measured on Node ${process.version} locally, not on the Lambda Node.js 24 ARM64 runtime, so read the ratios, not the absolute times. Budgets: bundle < 300 KiB unless justified, init <= ${INIT_BUDGET}x empty. The top inputs come from esbuild's metafile of a rebuild into a temporary directory (\`bytesInOutput\`, after minification and tree-shaking).
- **Handler variants** (\`bench/variants.ts\`). Handlers rebuilt with the shipped options changed in one respect, measured like the shipped bundle: ${variants(ROOT).map((v) => `*${v.name}*: ${v.description}${v.everyHandler ? ' (every handler)' : ''}`).join('; ')}. Variants about the SDK are built only for handlers with AWS SDK v3 code in their bundle; ${ALL_VARIANTS ? 'this run built every variant for every handler (`--all-variants`)' : `the variants not marked "every handler" only for ${[...representatives].map((r) => `\`${r}\``).join(', ')} (the smallest bundle, the smallest and the largest with the SDK; \`--all-variants\` builds them for all)`}. All init times (empty, shipped, variants, probes) are taken in ${INIT_RUNS} rounds, each loading every bundle once in a fresh process, so that load drifting on a shared machine affects every bundle alike; the median per bundle is reported. **SDK from the runtime, and its limits:** in Lambda an external \`@aws-sdk/*\` import resolves to the runtime's copy under \`/var/runtime/node_modules\` (CommonJS builds, one \`dist-cjs/index.js\` per package); here the variant bundles are written under \`node_modules/.cache/cv-bench/\` so the same import resolves to this repository's \`node_modules\`, whose packages have no \`exports\` map, so Node loads their \`main\` entry: the same CommonJS \`dist-cjs\` builds. What is measured is Node loading and evaluating those packages from a warm local disk; not measured: the runtime's SDK version (older than the one here, with possibly fewer or different internal packages), its disk and file cache, and anything Lambda does before or after loading the handler. The comparison is the module init of the same handler code, SDK inside the bundle vs SDK from a node_modules tree.
- **Probes** (\`bench/probes.ts\`, sources in \`bench/probes/\`). Single-dependency bundles built with the shipped options, measured the same way: ${PROBES.map((p) => `*${p.name}*: ${p.description}`).join('; ')}. The two zod probes are also run (from source, in the bench process) over ${zod.cases} valid and invalid inputs of the folders routes (\`bench/probes/zod-cases.ts\`), comparing parsed values and every issue's path and message.
- **Tests.** ${QUICK ? '*Not run this time (`--quick`).* ' : ''}${'One `npx jest --coverage=false` run of the whole suite (2 workers, cache warm), wall time measured around it, with `bench/jest-timings.ts` added as setup file: it times every outermost `Stage.synth` (the synth behind `Template.fromStack` and the nag harness) and every cdk-nag `NagPack.validateScope` (the nag harness runs it once per pack, five per stack) in each test file. Per file: the time in its worker (jest\'s start/end of the file, which includes loading aws-cdk-lib and the ts-jest transform), its synth and cdk-nag time, the number of stacks nagged, the nag time of the first stack (which also loads cdk-nag\'s rules into the file\'s fresh module registry) and of each further stack, and the rest (module loading, transform, construct code, assertions). Synth done while jest collects tests (outside hooks and tests) is not seen. Jest startup: `npx jest --passWithNoTests` matching no file (npx, jest config, haste map, no worker).'}
- **Total bench runtime** for this run: ${sec(totalMs)}${QUICK ? ' (with `--quick`)' : ''}.

## Machine

${machine.join('\n')}
- Load average at end: ${endLoad}
- The machine is shared (2 cores, other sessions building and testing at the same time); load was not controlled, so expect noise of tens of percent on the wall times.

## Synth

${mdTable(synthHead, synthRows)}

## Handlers

${mdTable(handlerHead, handlerRows)}

Top 5 inputs per bundle by bytes in the output:

${mdTable(inputsHead, inputsRows)}

The same, summed per npm package:

${mdTable(packagesHead, packagesRows)}

### Variants

${mdTable(variantHead, variantRows)}

### Probes

${mdTable(probeHead, probeRows)}

${scaleSection(scale, SCALE_RUNS, cloudVaultStacks)}
${COMMAND_CENTER_SECTION.render(existsSync(DOC) ? readFileSync(DOC, 'utf8') : '')}
${TENANT_CREDENTIALS_SECTION.render(existsSync(DOC) ? readFileSync(DOC, 'utf8') : '')}${suite ? `\n## Tests\n\n${mdTable(testHead, testRows)}\n` : ''}
## Decisions

${decisions.join('\n')}

## Budgets

${verdicts.join('\n')}
`;
  writeFileSync(DOC, doc);
  log('wrote docs/benchmarks.md');
}

main().catch((err) => {
  console.error(err);
  rmSync(CACHE, { recursive: true, force: true });
  process.exit(1);
});
