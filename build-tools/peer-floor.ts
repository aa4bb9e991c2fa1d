/**
 * The peer floor check: the packed library, installed in peer-floor/ beside the lowest aws-cdk-lib
 * its peerDependencies allow, must behave exactly as it does on the dev version. Every integ app
 * (CloudVault's aside: it needs the app's handler bundles) and build-tools/peer-floor-scope-app.ts
 * are bundled twice: once loading the packed library from peer-floor/node_modules with the floor's
 * aws-cdk-lib, once loading lib/ with the dev aws-cdk-lib. build-tools/peer-floor-runner.ts runs
 * each set; any difference in what synthesis threw or in the five nag packs' findings fails.
 *
 *   node -r esbuild-register build-tools/peer-floor.ts   (after `npx projen package`: reads dist/js/*.tgz)
 */
import { execFileSync } from 'child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'fs';
import * as path from 'path';
import { Plugin, build } from 'esbuild';

const ROOT = path.resolve(__dirname, '..');
const FLOOR = path.join(ROOT, 'peer-floor');
const EXTERNAL = ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', 'cdk-nag', '@aws-cdk/integ-tests-alpha', '@cdklabs/cdk-validator-cfnguard'];

interface AppResult {
  readonly app: string;
  readonly cdk: string;
  /** Per App the file creates: `passed`, `failed <resources named>`, or `threw <error>` while loading. */
  readonly synth: string[];
  readonly findings: string[];
}

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

/** The apps both sides run: the integ apps but CloudVault's, and the acknowledgement scope app. */
function appEntries(): string[] {
  const integ = readdirSync(path.join(ROOT, 'integ'))
    .filter((f) => /^integ\..+\.ts$/.test(f) && f !== 'integ.cloudvault.ts')
    .map((f) => path.join(ROOT, 'integ', f));
  return [...integ, path.join(__dirname, 'peer-floor-scope-app.ts')];
}

/**
 * Bundles the apps and the runner into `outDir`, the library's imports (`../src...`) pointing at
 * `library`; the rest stays external so it resolves from `outDir`'s node_modules.
 */
async function bundle(outDir: string, library: string): Promise<string[]> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const toLibrary: Plugin = {
    name: 'library',
    setup: (b) => b.onResolve({ filter: /^\.\.\/src(\/.*)?$/ }, () => ({ path: library, external: true })),
  };
  const entries = appEntries();
  await build({
    entryPoints: [...entries, path.join(__dirname, 'peer-floor-runner.ts')],
    outdir: outDir,
    entryNames: '[name]',
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'error',
    external: EXTERNAL,
    plugins: [toLibrary],
  });
  return entries.map((e) => path.join(outDir, `${path.basename(e, '.ts')}.js`));
}

function run(outDir: string, apps: string[]): Map<string, AppResult> {
  const out = execFileSync(process.execPath, [path.join(outDir, 'peer-floor-runner.js'), ...apps], { cwd: outDir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const results = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as AppResult);
  return new Map(results.map((r) => [r.app, r]));
}

async function main(): Promise<void> {
  const peerRange: string = readJson(path.join(ROOT, 'package.json')).peerDependencies['aws-cdk-lib'];
  const floorVersion: string = readJson(path.join(FLOOR, 'package.json')).dependencies['aws-cdk-lib'];
  if (peerRange !== `^${floorVersion}`) {
    throw new Error(`peer-floor/package.json pins aws-cdk-lib ${floorVersion}, but the peer range is ${peerRange}: run npx projen`);
  }
  const tarballs = readdirSync(path.join(ROOT, 'dist', 'js')).filter((f) => f.endsWith('.tgz'));
  if (tarballs.length !== 1) throw new Error(`expected one package in dist/js (npx projen package), found ${tarballs.length}`);

  const npm = (...args: string[]) => execFileSync('npm', [...args, '--no-audit', '--no-fund'], { cwd: FLOOR, stdio: ['ignore', 'ignore', 'inherit'] });
  npm('ci', '--prefer-offline');
  const name: string = readJson(path.join(ROOT, 'package.json')).name;
  npm('install', '--no-save', '--prefer-offline', path.join(ROOT, 'dist', 'js', tarballs[0]));
  let floor: Map<string, AppResult>;
  try {
    floor = run(path.join(FLOOR, '.apps'), await bundle(path.join(FLOOR, '.apps'), name));
  } finally {
    // jsii-docgen finds a package's assembly in any node_modules below the project: left here, the
    // packed copy would stand in for the freshly compiled .jsii and API.md would go stale.
    rmSync(path.join(FLOOR, 'node_modules', name), { recursive: true, force: true });
  }
  const devDir = path.join(ROOT, '.tmp', 'peer-floor-dev');
  const dev = run(devDir, await bundle(devDir, path.join(ROOT, 'lib', 'index.js')));

  const differences: string[] = [];
  for (const [app, d] of dev) {
    const f = floor.get(app);
    const same = f !== undefined && JSON.stringify([f.synth, f.findings]) === JSON.stringify([d.synth, d.findings]);
    console.log(`${same ? 'same' : 'DIFF'}  ${app}: synthesis ${d.synth.join(', ')}; ${d.findings.length} nag findings`);
    if (!same) differences.push(`${app}\n  aws-cdk-lib ${f?.cdk}: ${JSON.stringify(f)}\n  aws-cdk-lib ${d.cdk}: ${JSON.stringify(d)}`);
  }
  // The scope app proves something only if, on the dev version, the app with its own function fails and the one without passes.
  const scope = dev.get('peer-floor-scope-app');
  if (JSON.stringify(scope?.synth?.map((s) => s.split(' ')[0])) !== JSON.stringify(['failed', 'passed'])) {
    differences.push(`peer-floor-scope-app: expected the app with its own function to fail synthesis and the other to pass, got ${JSON.stringify(scope)}`);
  }
  const floorCdk = [...floor.values()][0]?.cdk;
  const devCdk = [...dev.values()][0]?.cdk;
  if (floorCdk !== floorVersion) differences.push(`the floor run loaded aws-cdk-lib ${floorCdk}, not ${floorVersion}`);
  if (differences.length) {
    console.error(`\nThe packed library behaves differently on aws-cdk-lib ${floorCdk} (the peer floor) than on ${devCdk}:\n${differences.join('\n')}`);
    process.exit(1);
  }
  console.log(`\n${dev.size} apps behave the same on aws-cdk-lib ${floorCdk} (the peer floor) and ${devCdk}.`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
