/**
 * Verifies the committed integ snapshots offline, in place of `integ-runner` (whose 2.197.x
 * release cannot read the schema-55 assemblies aws-cdk-lib 2.276 writes): every
 * integ/integ.*.ts app is synthesized as integ-runner would and each stack template is diffed
 * with its snapshot by cloudformation-diff. Any difference fails; replacements and deletions
 * of stateful resources are named first.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { assertionIds, compareAssemblies, formatReport } from '../integ/support/snapshot-diff';
import { IntegApp, findIntegApps, findSnapshotNames, synthIntegApp } from '../integ/support/synth';

const apps = findIntegApps();
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'integ-snapshots-'));
afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));

const updateCommand = (app: IntegApp) => `npx projen integ:snapshot ${app.name}`;

test('there are integ apps, and every committed snapshot belongs to one', () => {
  expect(apps.length).toBeGreaterThan(0);
  const names = new Set(apps.map((a) => a.name));
  const orphans = findSnapshotNames().filter((n) => !names.has(n));
  if (orphans.length > 0) {
    throw new Error(`Snapshots without an integ app (delete them): ${orphans.map((n) => `integ/integ.${n}.ts.snapshot`).join(', ')}`);
  }
});

describe.each(apps.map((app) => [app.name, app] as const))('integ.%s.ts', (_name, app) => {
  let outdir: string;
  beforeAll(() => {
    outdir = path.join(workDir, app.name);
    synthIntegApp(app, outdir);
  });

  test('matches its committed snapshot (no change at all, stateful replacements called out)', () => {
    if (!fs.existsSync(path.join(app.snapshotDir, 'manifest.json'))) {
      throw new Error(`integ/integ.${app.name}.ts has no committed snapshot; create it with: ${updateCommand(app)}`);
    }
    const report = formatReport(compareAssemblies(app.snapshotDir, outdir), updateCommand(app));
    if (report) {
      throw new Error(`integ/integ.${app.name}.ts no longer synthesizes its committed snapshot `
        + `integ/integ.${app.name}.ts.snapshot:\n\n${report}`);
    }
  });

  test('declares the same test cases as its snapshot (integ.json)', () => {
    if (!fs.existsSync(app.snapshotDir)) return; // a missing snapshot fails the test above
    const testCases = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'integ.json'), 'utf8')).testCases;
    expect(testCases(outdir)).toEqual(testCases(app.snapshotDir));
  });

  test('defines at least one assertion', () => {
    expect(assertionIds(outdir).length).toBeGreaterThan(0);
  });
});
