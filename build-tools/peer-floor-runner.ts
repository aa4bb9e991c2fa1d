/**
 * Bundled by build-tools/peer-floor.ts next to the apps it runs, so that `aws-cdk-lib`, `cdk-nag`
 * and the library resolve from that folder. Loads each app (a bundled integ app or
 * build-tools/peer-floor-scope-app.ts), synthesizes every App it creates, runs the five cdk-nag packs
 * and prints one JSON line per app file: per App, whether synthesis passed (a validation plugin
 * fails it; the resources its error names), and the nag findings.
 *
 *   node peer-floor-runner.js <app.js>...
 */
import * as path from 'path';
import type { App, AppProps } from 'aws-cdk-lib';
import { allNagPacks } from '../test/support/nag-harness';

// The apps create their App with `new App()`; a subclass put in its place records them. require,
// not import: the patched object must be the module's own exports, not a namespace copy.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cdk = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
const cdkVersion: string = require('aws-cdk-lib/package.json').version; // eslint-disable-line @typescript-eslint/no-require-imports
const created: App[] = [];
class RecordedApp extends cdk.App {
  constructor(props?: AppProps) {
    super(props);
    created.push(this);
  }
}
Object.defineProperty(cdk, 'App', { value: RecordedApp, configurable: true, enumerable: true });

/** Construct paths of the app's resources whose logical ids `message` names, sorted. */
function pathsNamedIn(app: App, message: string): string[] {
  const named = new Set<string>();
  for (const c of app.node.findAll()) {
    if (cdk.CfnResource.isCfnResource(c) && message.includes(cdk.Stack.of(c).getLogicalId(c))) named.add(c.node.path);
  }
  return [...named].sort();
}

for (const file of process.argv.slice(2)) {
  created.length = 0;
  const result: { app: string; cdk: string; synth: string[]; findings: string[] } = {
    app: path.basename(file, '.js'), cdk: cdkVersion, synth: [], findings: [],
  };
  try {
    require(path.resolve(file)); // eslint-disable-line @typescript-eslint/no-require-imports
    for (const app of created) {
      try {
        app.synth();
        result.synth.push('passed');
      } catch (e) {
        // Report wording differs between aws-cdk-lib releases: compare the resources it names.
        result.synth.push(['failed', ...pathsNamedIn(app, String((e as Error).message))].join(' '));
        continue;
      }
      for (const pack of allNagPacks()) {
        for (const v of pack.validateScope(app).violations) {
          for (const r of v.violatingResources) result.findings.push(`${v.ruleName} ${r.constructPath ?? ''}`);
        }
      }
    }
  } catch (e) {
    result.synth.push(`threw ${(e as Error).name}: ${String((e as Error).message).split('\n')[0]}`);
  }
  result.findings.sort();
  console.log(JSON.stringify(result));
}
