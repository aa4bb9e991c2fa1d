import { readFileSync, readdirSync, statSync } from 'fs';
import { join } from 'path';

// Every cdk-nag acknowledgement in the library goes through core/acknowledge.ts. This count
// may only go down: raise ACKNOWLEDGEMENT_BUDGET only with a reviewed reason in the commit.
const ACKNOWLEDGEMENT_BUDGET = 32;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

test('acknowledgements go through the one helper and stay within budget', () => {
  const src = join(__dirname, '..', 'src');
  let calls = 0;
  let ruleIds = 0;
  for (const file of sourceFiles(src)) {
    const text = readFileSync(file, 'utf8');
    if (!file.endsWith(join('core', 'acknowledge.ts'))) {
      expect({ file, direct: /Validations\.of\([^)]*\)\.acknowledge/.test(text) }).toEqual({ file, direct: false });
    }
    for (const match of text.matchAll(/\backnowledge\(\s*[^,]+,\s*(\[[^\]]*\]|complianceRuleIds\([^)]*\))/g)) {
      calls++;
      ruleIds += match[1].startsWith('complianceRuleIds') ? 3 : (match[1].match(/'[^']+'/g) ?? []).length;
    }
  }
  // eslint-disable-next-line no-console
  console.log(`cdk-nag acknowledgements in src/: ${calls} call sites covering ${ruleIds} rule ids`);
  expect(calls).toBeGreaterThan(0);
  expect(calls).toBeLessThanOrEqual(ACKNOWLEDGEMENT_BUDGET);
});
