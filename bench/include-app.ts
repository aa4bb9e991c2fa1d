/**
 * The synth floor for bench/run.ts: the templates the CloudVault app synthesized, re-synthesized
 * through cloudformation-include (one CfnInclude stack per template, no constructs, no nag).
 * Usage: include-app.ts <templates-dir> <outdir>
 */
import { readdirSync } from 'fs';
import * as path from 'path';
import { App, DefaultStackSynthesizer, Stack, cloudformation_include as cfninc } from 'aws-cdk-lib';

const [templatesDir, outdir] = process.argv.slice(2);
const app = new App({ outdir });
for (const file of readdirSync(templatesDir).filter((f) => f.endsWith('.template.json')).sort()) {
  // The included template already carries BootstrapVersion and its rule: do not add them twice.
  const synthesizer = new DefaultStackSynthesizer({ generateBootstrapVersionRule: false });
  const stack = new Stack(app, file.replace(/\.template\.json$/, '').replace(/[^A-Za-z0-9-]/g, '-'), { synthesizer });
  new cfninc.CfnInclude(stack, 'Template', { templateFile: path.join(templatesDir, file) });
}
app.synth();
