/**
 * Regenerates the committed snapshots of the integ apps:
 *
 *   npx projen integ:snapshot                 # every integ/integ.*.ts
 *   npx projen integ:snapshot alarm-set ...   # only these (name, file name or path)
 *
 * All apps are synthesized in this one process (ts-node, transpile only), each into a
 * temporary directory that is then copied to integ/integ.<name>.ts.snapshot/ without asset
 * sources. Review the resulting git diff: `npx projen test` fails on any template change
 * until the snapshot is regenerated, and names stateful resources it would replace or destroy.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { INTEG_DIR, findIntegApps, findSnapshotNames, synthIntegApp, writeSnapshot } from './synth';

function main(names: string[]): void {
  const apps = findIntegApps(names);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'integ-snapshot-'));
  try {
    for (const app of apps) {
      const started = Date.now();
      const outdir = path.join(work, app.name);
      synthIntegApp(app, outdir);
      writeSnapshot(outdir, app.snapshotDir);
      console.log(`${path.relative(process.cwd(), app.snapshotDir)} (${Date.now() - started} ms)`);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const known = new Set(findIntegApps().map((a) => a.name));
  for (const orphan of findSnapshotNames().filter((n) => !known.has(n))) {
    console.warn(`warning: ${path.join(path.relative(process.cwd(), INTEG_DIR), `integ.${orphan}.ts.snapshot`)} has no integ app; delete it`);
  }
}

main(process.argv.slice(2));
