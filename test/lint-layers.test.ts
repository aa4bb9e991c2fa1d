import { readFileSync } from 'fs';
import * as path from 'path';
import { loadESLint } from 'eslint';

// The layers of ARCHITECTURE.md are enforced by lint (.projenrc.ts: import/no-restricted-paths and
// import/no-cycle). Each case lints a real file of the library with one import added, as a
// contributor might add it, and expects the rule to fail it.
const ROOT = path.join(__dirname, '..');

let eslint: InstanceType<Awaited<ReturnType<typeof loadESLint>>>;
beforeAll(async () => {
  // The project's .eslintrc.json (legacy config), as `npx projen eslint` runs it.
  // With CI=true typescript-eslint infers a single run and parses files from disk, ignoring the
  // text given to lintText (the added import would be invisible); the inference is turned off.
  const LegacyESLint = await loadESLint({ useFlatConfig: false });
  eslint = new LegacyESLint({ cwd: ROOT, overrideConfig: { parserOptions: { disallowAutomaticSingleRunInference: true } } });
});

async function ruleIdsWith(file: string, addedImport: string): Promise<string[]> {
  const text = `${addedImport}\n${readFileSync(path.join(ROOT, file), 'utf8')}`;
  const [result] = await eslint.lintText(text, { filePath: path.join(ROOT, file) });
  return result.messages.map((m) => m.ruleId ?? m.message);
}

test.each([
  ['core imports governance (upward)', 'src/core/names.ts', "import { EnvironmentConfig } from '../governance/environment-config';", 'import/no-restricted-paths'],
  ['governance imports a resource area (upward)', 'src/governance/required-tags.ts', "import { SecureTable } from '../storage/secure-table';", 'import/no-restricted-paths'],
  ['an app imports past the entry point', 'apps/cloudvault/infra/cost-stack.ts', "import { CostGuard } from '../../../src/cost';", 'import/no-restricted-paths'],
])('%s fails lint', async (_name, file, addedImport, rule) => {
  expect(await ruleIdsWith(file, addedImport)).toContain(rule);
});

test('an import cycle fails lint (the committed fixture test/fixtures/layers/cycle-*.ts)', async () => {
  // lintText does not follow a cycle back into unsaved text, so the cycle is two files on disk,
  // which the project's own lint run ignores (.projenrc.ts).
  const LegacyESLint = await loadESLint({ useFlatConfig: false });
  const results = await new LegacyESLint({ cwd: ROOT, ignore: false }).lintFiles(['test/fixtures/layers/cycle-a.ts']);
  expect(results[0].messages.map((m) => m.ruleId)).toContain('import/no-cycle');
});

test('the files as committed pass those rules', async () => {
  expect((await ruleIdsWith('src/core/names.ts', '')).filter((r) => r.startsWith('import/no-'))).toEqual([]);
});
