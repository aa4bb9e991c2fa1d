/**
 * Synthesizes integ apps (`integ/integ.<name>.ts`) in this process, the way integ-runner
 * synthesizes them for its snapshots, and writes the committed snapshot directories.
 *
 * integ-runner 2.197.x cannot read the cloud assemblies aws-cdk-lib 2.276 writes (schema 55,
 * it reads up to 53), so the snapshots are produced and verified here; integ-runner stays
 * the way to deploy them (see integ/README.md).
 */
import * as fs from 'fs';
import * as path from 'path';

/** The `integ/` directory. */
export const INTEG_DIR = path.resolve(__dirname, '..');

/** One integ app and where its committed snapshot lives. */
export interface IntegApp {
  /** `alarm-set` for `integ/integ.alarm-set.ts`. */
  readonly name: string;
  /** Absolute path of the app. */
  readonly file: string;
  /** Absolute path of its snapshot directory (`integ/integ.<name>.ts.snapshot`). */
  readonly snapshotDir: string;
}

const APP_FILE = /^integ\.(.+)\.ts$/;
const SNAPSHOT_DIR = /^integ\.(.+)\.ts\.snapshot$/;

/**
 * The integ apps in `dir`, sorted by name; with `names`, only those (each a name like
 * `alarm-set`, a file name or a path). An unknown name is an error.
 */
export function findIntegApps(names: string[] = [], dir: string = INTEG_DIR): IntegApp[] {
  const all = fs.readdirSync(dir)
    .map((f) => APP_FILE.exec(f)?.[1])
    .filter((n): n is string => n !== undefined)
    .sort()
    .map((name) => ({
      name,
      file: path.join(dir, `integ.${name}.ts`),
      snapshotDir: path.join(dir, `integ.${name}.ts.snapshot`),
    }));
  if (names.length === 0) return all;
  return names.map((wanted) => {
    const name = APP_FILE.exec(path.basename(wanted))?.[1] ?? wanted;
    const app = all.find((a) => a.name === name);
    if (!app) throw new Error(`No integ app "${wanted}": expected ${path.join(dir, `integ.${name}.ts`)}; known: ${all.map((a) => a.name).join(', ')}`);
    return app;
  });
}

/** Names of the committed snapshot directories in `dir` (`alarm-set` for `integ.alarm-set.ts.snapshot`). */
export function findSnapshotNames(dir: string = INTEG_DIR): string[] {
  return fs.readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => SNAPSHOT_DIR.exec(e.name)?.[1])
    .filter((n): n is string => n !== undefined)
    .sort();
}

// What integ-runner's toolkit engine passes to every synth besides the feature flags
// (versionReporting false, bundling of all stacks), plus no stack traces: they hold machine
// paths, which integ-runner strips from manifest.json but not from the <stack>.metadata.json
// files of newer assemblies. Not recording them leaves the templates unchanged. Acknowledgement
// metadata records a trace regardless; writeSnapshot() drops it.
const RUNNER_CONTEXT: Record<string, unknown> = {
  'aws:cdk:disable-version-reporting': true,
  'aws:cdk:bundling-stacks': ['**'],
  'aws:cdk:disable-stack-trace': true,
  'aws:cdk:disable-creation-stack-traces': true,
};

// integ-runner's DEFAULT_SYNTH_OPTIONS.env: apps may read these to stay account-independent.
const RUNNER_ENV: Record<string, string> = {
  CDK_INTEG_ACCOUNT: '12345678',
  CDK_INTEG_REGION: 'test-region',
  CDK_INTEG_HOSTED_ZONE_ID: 'Z23ABC4XYZL05B',
  CDK_INTEG_HOSTED_ZONE_NAME: 'example.com',
  CDK_INTEG_DOMAIN_NAME: '*.example.com',
  CDK_INTEG_CERT_ARN: 'arn:aws:acm:test-region:12345678:certificate/86468209-a272-595d-b831-0efb6421265z',
  CDK_INTEG_SUBNET_ID: 'subnet-0dff1a399d8f6f92c',
};

// integ-tests assertions salt their custom resources with Date.now() so that they run on every
// deployment; a fixed clock keeps snapshots identical between runs (a real deployment still
// gets a fresh salt, as integ-runner synthesizes again before deploying).
const FIXED_NOW = Date.UTC(2020, 0, 1);

// Machine-dependent inputs an app could pick up; unset so every machine synthesizes the same.
const CLEARED_ENV = ['CDK_DEFAULT_ACCOUNT', 'CDK_DEFAULT_REGION', 'CDK_CONTEXT_FILE', 'CDK_DEBUG'];

/**
 * The context integ-runner synthesizes with: the aws-cdk-lib feature flags it recommends
 * (shipped in its package) without `@aws-cdk/core:target-partitions`, which it unsets.
 */
export function integRunnerContext(): Record<string, unknown> {
  const file = require.resolve('@aws-cdk/integ-runner/lib/recommended-feature-flags.json');
  const flags = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  delete flags['@aws-cdk/core:target-partitions'];
  return { ...flags, ...RUNNER_CONTEXT };
}

/**
 * Runs one integ app in this process with `CDK_OUTDIR=outdir` and integ-runner's context and
 * environment, so `new App()` + `app.synth()` write the cloud assembly to `outdir`.
 * Several apps can be synthesized one after another in the same process: they share the
 * loaded aws-cdk-lib, which is what makes this fast.
 */
export function synthIntegApp(app: IntegApp, outdir: string): void {
  fs.rmSync(outdir, { recursive: true, force: true });
  fs.mkdirSync(outdir, { recursive: true });
  const env: Record<string, string | undefined> = {
    ...RUNNER_ENV,
    CDK_OUTDIR: outdir,
    CDK_CONTEXT_JSON: JSON.stringify(integRunnerContext()),
    ...Object.fromEntries(CLEARED_ENV.map((k) => [k, undefined])),
  };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const listeners = process.listeners('beforeExit');
  const now = Date.now;
  try {
    setEnv(env);
    Date.now = () => FIXED_NOW;
    // Runs the app's top-level code; a file already loaded in this process is run again
    // (under jest, which keeps its own registry, each test file loads an app once).
    delete require.cache[require.resolve(app.file)];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(app.file);
  } catch (e) {
    throw new Error(`integ/${path.basename(app.file)} failed to synthesize: ${(e as Error).stack ?? e}`);
  } finally {
    Date.now = now;
    setEnv(saved);
    // An App created while CDK_OUTDIR is set re-synthesizes on beforeExit; the app already
    // called app.synth(), and the output directory may be gone by then.
    for (const l of process.listeners('beforeExit')) {
      if (!listeners.includes(l)) process.removeListener('beforeExit', l);
    }
  }
  const integManifest = path.join(outdir, 'integ.json');
  if (!fs.existsSync(integManifest)) {
    throw new Error(`integ/${path.basename(app.file)} wrote no integ.json to CDK_OUTDIR: it must create \`new App()\` `
      + '(no outdir), an IntegTest, and end with app.synth()');
  }
  const manifest = JSON.parse(fs.readFileSync(integManifest, 'utf8'));
  if (manifest.enableLookups) {
    // integ-runner then synthesizes with dummy lookup values; not supported here (no app needs it).
    throw new Error(`integ/${path.basename(app.file)} sets enableLookups, which integ/support/synth.ts does not support`);
  }
}

function setEnv(values: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

/** True for what integ-runner leaves out of a snapshot or we choose to: asset sources and the zip cache. */
export function isExcludedFromSnapshot(entry: string): boolean {
  return entry.startsWith('asset.') || entry === '.cache';
}

/** The checkout's root directory: no committed file may contain it (test/portable-files.test.ts). */
export const REPO_ROOT = path.resolve(INTEG_DIR, '..');

/**
 * Replaces `snapshotDir` with the cloud assembly in `assemblyDir`, minus asset sources
 * (`asset.*`, e.g. the 2 MB assertion-provider bundle each app carries) and `.cache`, and
 * without stack traces in the construct metadata (see {@link withoutTraces}), so that a
 * snapshot is the same from whichever folder it is written. A file that would still hold the
 * checkout's or the assembly's absolute path is an error naming it.
 */
export function writeSnapshot(assemblyDir: string, snapshotDir: string): void {
  fs.rmSync(snapshotDir, { recursive: true, force: true });
  fs.mkdirSync(snapshotDir, { recursive: true });
  for (const entry of fs.readdirSync(assemblyDir).sort()) {
    if (isExcludedFromSnapshot(entry)) continue;
    fs.cpSync(path.join(assemblyDir, entry), path.join(snapshotDir, entry), { recursive: true });
  }
  const machinePaths = [REPO_ROOT, path.resolve(assemblyDir)];
  const offending: string[] = [];
  for (const file of filesUnder(snapshotDir)) {
    const name = path.basename(file);
    if (name === 'manifest.json' || name.endsWith('.metadata.json')) {
      const text = fs.readFileSync(file, 'utf8');
      const json = JSON.parse(text);
      const cleaned = name === 'manifest.json' ? manifestWithoutTraces(json) : withoutTraces(json);
      const out = JSON.stringify(cleaned, undefined, 2);
      if (out !== JSON.stringify(json, undefined, 2)) fs.writeFileSync(file, out);
    }
    const content = fs.readFileSync(file, 'utf8');
    if (machinePaths.some((p) => content.includes(p))) offending.push(path.relative(REPO_ROOT, file));
  }
  if (offending.length > 0) {
    throw new Error(`Snapshot files hold an absolute path of this machine (${machinePaths.join(', ')}); `
      + `normalise it in integ/support/synth.ts writeSnapshot(): ${offending.join(', ')}`);
  }
}

/** Construct metadata: construct path -> entries (`{ type, data, trace? }`). */
type ConstructMetadata = Record<string, Array<Record<string, unknown>>>;

/**
 * Construct metadata (a `<stack>.metadata.json` file or a manifest artifact's `metadata`)
 * without the `trace` of its entries. aws-cdk-lib records a creation stack trace on some
 * entries even with stack traces disabled (acknowledgements, `aws:cdk:acknowledged-rules`):
 * it holds absolute file paths and source line numbers, and the offline verification
 * (integ/support/snapshot-diff.ts) reads only the `aws:cdk:logicalId` entries' data.
 */
export function withoutTraces(metadata: ConstructMetadata): ConstructMetadata {
  return Object.fromEntries(Object.entries(metadata).map(([constructPath, entries]) => [
    constructPath,
    Array.isArray(entries) ? entries.map(({ trace: _trace, ...entry }) => entry) : entries,
  ]));
}

/** A cloud assembly manifest whose artifacts' inline metadata carries no stack traces. */
function manifestWithoutTraces(manifest: any): any {
  if (!manifest?.artifacts) return manifest;
  return {
    ...manifest,
    artifacts: Object.fromEntries(Object.entries<any>(manifest.artifacts).map(([id, artifact]) => [
      id,
      artifact?.metadata ? { ...artifact, metadata: withoutTraces(artifact.metadata) } : artifact,
    ])),
  };
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : [p];
  }).sort();
}
