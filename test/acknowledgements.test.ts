import { readFileSync, readdirSync, statSync } from 'fs';
import { join } from 'path';

// Every cdk-nag and AWS Control Tower acknowledgement in the library goes through
// core/acknowledge.ts. This count may only go down: raise ACKNOWLEDGEMENT_BUDGET only with a
// reviewed reason in the commit. 32 -> 39: the seven Control Tower exceptions of docs/compliance.md
// that have no call site of their own yet (GuardDuty Features, access-log bucket logging, CDK's
// notifications handler, auto-delete and restrict-default-SG providers, dev log retention, a
// function in another stack's VPC).
const ACKNOWLEDGEMENT_BUDGET = 39;

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
    for (const match of text.matchAll(/\backnowledge(?:StackSingleton)?\(\s*[^,]+,\s*(?:'[^']*',\s*)?(\[[^\]]*\]|complianceRuleIds\([^)]*\))/g)) {
      calls++;
      const shared = (match[1].match(/complianceRuleIds\(/g) ?? []).length;
      const single = (match[1].replace(/complianceRuleIds\([^)]*\)/g, '').match(/'[^']+'/g) ?? []).length;
      ruleIds += shared * 3 + single;
    }
  }
  // eslint-disable-next-line no-console
  console.log(`cdk-nag acknowledgements in src/: ${calls} call sites covering ${ruleIds} rule ids`);
  expect(calls).toBeGreaterThan(0);
  expect(calls).toBeLessThanOrEqual(ACKNOWLEDGEMENT_BUDGET);
});
