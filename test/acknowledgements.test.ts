import { readFileSync, readdirSync, statSync } from 'fs';
import { join } from 'path';

// Every cdk-nag and AWS Control Tower acknowledgement goes through one helper: core/acknowledge.ts
// in the library, apps/kit/infra/acknowledge.ts in an app (apps use the library only through its entry
// point). These counts may only go down: raise a budget only with a reviewed reason in the commit.
// Library 31 -> 38: the seven Control Tower exceptions of docs/compliance.md that have no call site
// of their own (GuardDuty Features, access-log bucket logging, CDK's notifications handler, the
// auto-delete and restrict-default-SG providers, dev log retention, a function in another stack's VPC).
// 38 -> 41: Database (issue 14): RDSInBackupPlan on Aurora member instances (cdk-nag issue 1627),
// AWS's enhanced-monitoring service policy, and deletion protection off in dev.
// 41 -> 42: Cache: AwsSolutions-AEC6 (AUTH token) conflicts with the RBAC user group on replication groups.
// 42 -> 44: SearchDomain: AwsSolutions-OS3 (no IP policy on VPC domains) and a smaller domain outside prod.
// 44 -> 45: UserDirectory's AwsSolutions-COG2 outside prod (optional TOTP, docs/compliance.md); it takes over
// the CloudVault app's own COG2 acknowledgement once the app uses UserDirectory (app budget 1 -> 0 then).
// 45 -> 47: WebSocketApi's routes other than $connect (APIG4 / CT.APIGATEWAY.PR.5: API Gateway allows an
// authorizer on $connect only, docs/compliance.md) and grantManageConnections' @connections/* (IAM5, on the grantee).
// 47 -> 48: SearchDomain's grants acknowledge their own domain/<name>/* or <index>/* wildcard (IAM5, on the grantee),
// which PersonalPod acknowledged itself (app budget 1 -> 0).
const ROOT = join(__dirname, '..');
const BUDGETS = [
  { name: 'library (src/)', dir: join(ROOT, 'src'), helper: join('core', 'acknowledge.ts'), budget: 48 },
  // CloudVault 1 -> 0: its user pool is a UserDirectory, which acknowledges COG2 outside prod itself.
  { name: 'CloudVault app (apps/cloudvault/)', dir: join(ROOT, 'apps', 'cloudvault'), helper: join('kit', 'infra', 'acknowledge.ts'), budget: 0 },
  // Personal OS acknowledges nothing: every finding is satisfied by the library's constructs.
  { name: 'Personal OS app (apps/personal-os/)', dir: join(ROOT, 'apps', 'personal-os'), helper: join('kit', 'infra', 'acknowledge.ts'), budget: 0 },
  // The command center satisfies every rule it meets: no acknowledgement of its own.
  { name: 'Command center app (apps/command-center/)', dir: join(ROOT, 'apps', 'command-center'), helper: join('kit', 'infra', 'acknowledge.ts'), budget: 0 },
  // Everything it needs the library satisfies or acknowledges itself.
  { name: 'Patch tracker app (apps/patch-tracker/)', dir: join(ROOT, 'apps', 'patch-tracker'), helper: join('kit', 'infra', 'acknowledge.ts'), budget: 0 },
  // PersonalPod 1 -> 0: SearchDomain.grantReadIndex / grantReadWriteIndex acknowledge the <index>/* wildcard themselves.
  { name: 'PersonalPod app (apps/personal-pod/)', dir: join(ROOT, 'apps', 'personal-pod'), helper: join('kit', 'infra', 'acknowledge.ts'), budget: 0 },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'test' || name === 'assets' ? [] : sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

test.each(BUDGETS)('acknowledgements in the $name go through the one helper and stay within budget', ({ name, dir, helper, budget }) => {
  let calls = 0;
  let ruleIds = 0;
  for (const file of sourceFiles(dir)) {
    const text = readFileSync(file, 'utf8');
    if (!file.endsWith(helper)) {
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
  console.log(`cdk-nag acknowledgements in the ${name}: ${calls} call sites covering ${ruleIds} rule ids`);
  // A budget above 0 must find its call sites (the pattern still matches them); 0 means none at all.
  if (budget > 0) expect(calls).toBeGreaterThan(0);
  expect(calls).toBeLessThanOrEqual(budget);
});
