import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { nagFindings } from './support/nag-harness';

// Runs README's quick start as written (imports pointed at this checkout) and checks the
// promise it makes: a stack with zero cdk-nag findings across the five packs.
test('README quick start synthesizes with zero cdk-nag findings', () => {
  const root = join(__dirname, '..');
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start'));
  const code = section.slice(section.indexOf('```ts') + 5, section.indexOf('```', section.indexOf('```ts') + 5));
  expect(code).toContain("from 'cloudvault-constructs'");
  const dir = join(root, '.tmp');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'quick-start.generated.ts');
  writeFileSync(file, code.replace("from 'cloudvault-constructs'", `from ${JSON.stringify(join(root, 'src'))}`) + '\nexport { app, stack };\n');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { stack } = require(file);
  // Synthesis runs the quick start's own validation plugins too: it would throw on a finding.
  expect(nagFindings(stack)).toEqual([]);
  expect(stack.node.findAll().length).toBeGreaterThan(50);
});
