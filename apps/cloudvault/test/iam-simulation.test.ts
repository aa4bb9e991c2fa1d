import { runSimulation } from '@cloud-copilot/iam-simulate';
import { CfnElement, Stack } from 'aws-cdk-lib';
import { EnvironmentConfig } from '../../../src';
import { testApp } from '../../../test/support/nag-harness';
import { CloudVault } from '../infra/cloudvault-stage';
import { TENANT_SCOPED_HANDLERS } from '../infra/tenant-access';
import { ACCOUNT, BUCKET_ARN, DATA_KEY_ARN, TABLE_ARN, resolveIntrinsics, roleArn } from './support/resolve-intrinsics';
import { functionsByName, roleStatements } from './support/role-actions';

// An offline IAM evaluation (@cloud-copilot/iam-simulate) of the synthesized CloudVault policies,
// with their intrinsics resolved to concrete ARNs: what each role may no longer do is denied, what
// its handler does is allowed. Local mode evaluates no IAM at all; this is where the policies are proven.

type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

const OBJECT_A = `${BUCKET_ARN}/tenants/tenant-a/files/f1/v1`;
const THUMB_A = `${BUCKET_ARN}/thumbnails/tenant-a/f1.webp`;
const BACKUP_A = `${BUCKET_ARN}/backups/tenant-a/b1.json`;
const index = (name: string) => `${TABLE_ARN}/index/${name}`;

/** Who asks, and the resource's own policy (a role's trust policy), when the case has them. */
interface Request {
  readonly principal?: string;
  readonly resourcePolicy?: unknown[];
}

type Context = Record<string, string | string[]>;

async function decide(statements: unknown[], action: string, resource: string, context: Context = {}, request: Request = {}): Promise<Decision> {
  const policy = (s: unknown[]) => ({ Version: '2012-10-17', Statement: resolveIntrinsics(s) as any });
  const result = await runSimulation({
    identityPolicies: [{ name: 'role', policy: policy(statements) }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(request.resourcePolicy ? { resourcePolicy: policy(request.resourcePolicy) } : {}),
    request: {
      action,
      principal: request.principal ?? `arn:aws:iam::${ACCOUNT}:role/cloudvault-function`,
      resource: { resource, accountId: ACCOUNT },
      contextVariables: { 'aws:ResourceAccount': ACCOUNT, ...context },
    },
  } as any, {});
  if (result.resultType === 'error') throw new Error(`${action} on ${resource}: ${JSON.stringify(result.errors)}`);
  return result.overallResult as Decision;
}

/** [action, resource] pairs a role must be denied, then pairs it must be allowed. */
const CASES: Record<string, { denied: [string, string][]; allowed: [string, string][] }> = {
  'share-open': {
    denied: [
      ['dynamodb:Scan', TABLE_ARN], ['dynamodb:DeleteItem', TABLE_ARN], ['dynamodb:BatchWriteItem', TABLE_ARN], ['dynamodb:Query', TABLE_ARN],
      ['dynamodb:Query', index('FileSearch')], ['s3:PutObject', OBJECT_A], ['s3:DeleteObject', OBJECT_A], ['s3:ListBucket', BUCKET_ARN],
      ['s3:GetObject', BACKUP_A], ['kms:ReEncryptFrom', DATA_KEY_ARN],
    ],
    allowed: [['dynamodb:Query', index('ShareLinks')], ['dynamodb:UpdateItem', TABLE_ARN], ['s3:GetObjectVersion', OBJECT_A]],
  },
  'shares': {
    denied: [
      ['dynamodb:Scan', TABLE_ARN], ['dynamodb:BatchWriteItem', TABLE_ARN], ['dynamodb:BatchGetItem', TABLE_ARN], ['dynamodb:UpdateItem', TABLE_ARN],
      ['dynamodb:Query', index('ShareLinks')], ['s3:GetObject', OBJECT_A], ['s3:ListBucket', BUCKET_ARN],
    ],
    allowed: [['dynamodb:ConditionCheckItem', TABLE_ARN], ['dynamodb:PutItem', TABLE_ARN], ['dynamodb:Query', index('FileSearch')]],
  },
  'files': {
    denied: [['dynamodb:Scan', TABLE_ARN], ['dynamodb:BatchWriteItem', TABLE_ARN], ['dynamodb:DescribeTable', TABLE_ARN], ['s3:DeleteObjectVersion', OBJECT_A], ['s3:PutObject', THUMB_A], ['kms:ReEncryptTo', DATA_KEY_ARN]],
    allowed: [['s3:PutObject', OBJECT_A], ['s3:GetObjectVersion', OBJECT_A], ['s3:ListBucket', BUCKET_ARN], ['dynamodb:Query', index('FolderChildren')]],
  },
  'folders': {
    denied: [['dynamodb:Scan', TABLE_ARN], ['s3:PutObject', OBJECT_A], ['s3:GetObject', OBJECT_A], ['s3:ListBucket', BUCKET_ARN]],
    // Recursive deletes abort unfinished uploads (issue 17 Low).
    allowed: [['s3:AbortMultipartUpload', OBJECT_A], ['s3:DeleteObject', THUMB_A], ['dynamodb:ConditionCheckItem', TABLE_ARN]],
  },
  'analytics': {
    denied: [['dynamodb:Scan', TABLE_ARN], ['dynamodb:BatchWriteItem', TABLE_ARN], ['s3:GetObject', OBJECT_A]],
    allowed: [['dynamodb:PutItem', TABLE_ARN], ['dynamodb:Query', TABLE_ARN]],
  },
  'notifications': {
    denied: [['dynamodb:Scan', TABLE_ARN], ['dynamodb:PutItem', TABLE_ARN], ['dynamodb:DeleteItem', TABLE_ARN]],
    allowed: [['dynamodb:UpdateItem', TABLE_ARN]],
  },
  // The API records and queues exports: no object access at all, no item updates.
  'backup': {
    denied: [['dynamodb:Scan', TABLE_ARN], ['dynamodb:UpdateItem', TABLE_ARN], ['s3:PutObject', BACKUP_A], ['s3:GetObject', BACKUP_A], ['s3:ListBucket', BUCKET_ARN]],
    allowed: [['dynamodb:PutItem', TABLE_ARN], ['dynamodb:Query', TABLE_ARN]],
  },
  // The export worker writes and reads back exports, nothing else of the bucket; it never deletes.
  'backup-export': {
    denied: [['dynamodb:Scan', TABLE_ARN], ['dynamodb:PutItem', TABLE_ARN], ['dynamodb:DeleteItem', TABLE_ARN], ['s3:DeleteObject', BACKUP_A], ['s3:ListBucket', BUCKET_ARN], ['s3:GetObject', OBJECT_A]],
    allowed: [['s3:PutObject', BACKUP_A], ['s3:GetObject', BACKUP_A], ['dynamodb:Query', TABLE_ARN], ['dynamodb:UpdateItem', TABLE_ARN]],
  },
  'user-sync': {
    denied: [['dynamodb:PutItem', TABLE_ARN], ['dynamodb:DeleteItem', TABLE_ARN], ['dynamodb:BatchWriteItem', TABLE_ARN], ['dynamodb:GetItem', TABLE_ARN]],
    allowed: [['dynamodb:UpdateItem', TABLE_ARN]],
  },
  'cleanup': {
    denied: [['dynamodb:BatchWriteItem', TABLE_ARN], ['s3:PutObject', OBJECT_A], ['s3:GetObject', OBJECT_A]],
    allowed: [['dynamodb:Scan', TABLE_ARN], ['s3:AbortMultipartUpload', OBJECT_A], ['s3:ListBucketMultipartUploads', BUCKET_ARN]],
  },
};

describe('offline IAM evaluation of the synthesized CloudVault policies', () => {
  let stage: CloudVault;
  const templates = new Map<Stack, any>();
  beforeAll(() => {
    const app = testApp();
    stage = new CloudVault(app, 'CloudVault-dev', { profile: EnvironmentConfig.dev(), env: { account: ACCOUNT, region: 'eu-west-1' } });
    const assembly = app.synth();
    for (const stack of stage.stacks) templates.set(stack, assembly.getStackArtifact(stack.artifactId).template);
  });
  const statementsOf = (name: string) => {
    const fn = functionsByName(stage)[name];
    return roleStatements(templates.get(Stack.of(fn)), fn);
  };

  test.each(Object.keys(CASES))('%s: denied what its handler does not call, allowed what it does', async (name) => {
    const statements = statementsOf(name);
    const decisions = async (pairs: [string, string][]) =>
      Promise.all(pairs.map(async ([action, resource]) => `${action} ${resource} ${await decide(statements, action, resource)}`));
    const { denied, allowed } = CASES[name];
    expect(await decisions(denied)).toEqual(denied.map(([a, r]) => `${a} ${r} ImplicitlyDenied`));
    expect(await decisions(allowed)).toEqual(allowed.map(([a, r]) => `${a} ${r} Allowed`));
  });

  describe('tenant sessions (the tenant-access role, session tag tenantId)', () => {
    const B = { 'aws:PrincipalTag/tenantId': 'tenant-b' };
    const keys = (...pks: string[]) => ({ ...B, 'dynamodb:LeadingKeys': pks });
    const objectOf = (tenant: string, prefix = 'tenants') => `${BUCKET_ARN}/${prefix}/${tenant}/files/f1/v1`;
    const ITEM_ACTIONS = ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem'].map((a) => `dynamodb:${a}`);
    const OBJECT_ACTIONS = ['GetObject', 'GetObjectVersion', 'PutObject', 'DeleteObject', 'AbortMultipartUpload', 'ListMultipartUploadParts'].map((a) => `s3:${a}`);
    let sessionStatements: unknown[];
    let trust: unknown[];
    let tenantRoleArn: string;
    beforeAll(() => {
      const template = templates.get(stage.api);
      const access = stage.api.tenantAccess;
      const policyId = stage.api.getLogicalId(access.policy.node.defaultChild as CfnElement);
      sessionStatements = template.Resources[policyId].Properties.PolicyDocument.Statement;
      const roleId = stage.api.getLogicalId(access.role.node.defaultChild as CfnElement);
      trust = template.Resources[roleId].Properties.AssumeRolePolicyDocument.Statement;
      tenantRoleArn = roleArn(roleId);
    });
    const all = async (pairs: [string, string, Context][]) =>
      Promise.all(pairs.map(async ([action, resource, context]) => `${action} ${resource} ${JSON.stringify(context['dynamodb:LeadingKeys'] ?? '')} ${await decide(sessionStatements, action, resource, context)}`));
    const expectAll = async (pairs: [string, string, Context][], decision: Decision) =>
      expect(await all(pairs)).toEqual(pairs.map(([a, r, c]) => `${a} ${r} ${JSON.stringify(c['dynamodb:LeadingKeys'] ?? '')} ${decision}`));

    test('tenant B\'s session is denied every item action on tenant A\'s partition and GSI partitions', async () => {
      const foreign: [string, string, Context][] = [];
      for (const action of ITEM_ACTIONS) {
        foreign.push([action, TABLE_ARN, keys('TENANT#tenant-a')]);
        // A tenant whose id starts with B's is another tenant: no prefix match.
        foreign.push([action, TABLE_ARN, keys('TENANT#tenant-bx')]);
        // Keys outside every tenant partition (idempotency records, activity markers).
        foreign.push([action, TABLE_ARN, keys('ACTIVE#2026-01-31')]);
        // B's and A's keys in one request (a transaction): one foreign key denies it.
        foreign.push([action, TABLE_ARN, keys('TENANT#tenant-b', 'TENANT#tenant-a')]);
      }
      foreign.push(['dynamodb:Query', index('FileSearch'), keys('TENANT#tenant-a#FILES')]);
      foreign.push(['dynamodb:Query', index('FolderChildren'), keys('TENANT#tenant-a#PARENT#ROOT')]);
      // Indexes not keyed by tenant are not the session's at all.
      foreign.push(['dynamodb:Query', index('ShareLinks'), keys('TENANT#tenant-b')]);
      foreign.push(['dynamodb:Query', index('UserByEmail'), keys('TENANT#tenant-b')]);
      // No keys named (a Scan, a batch): ForAllValues would hold vacuously, the Null check refuses it.
      foreign.push(['dynamodb:Scan', TABLE_ARN, B], ['dynamodb:BatchWriteItem', TABLE_ARN, B], ['dynamodb:GetItem', TABLE_ARN, B]);
      await expectAll(foreign, 'ImplicitlyDenied');
    });

    test('tenant B\'s session is allowed the same item actions on its own partition and GSI partitions', async () => {
      await expectAll([
        ...ITEM_ACTIONS.map((action): [string, string, Context] => [action, TABLE_ARN, keys('TENANT#tenant-b')]),
        ['dynamodb:Query', index('FileSearch'), keys('TENANT#tenant-b#FILES')],
        ['dynamodb:Query', index('FolderChildren'), keys('TENANT#tenant-b#PARENT#ROOT')],
      ], 'Allowed');
    });

    test('tenant B\'s session is denied every object action on tenant A\'s objects and on exports, allowed on its own objects and thumbnails', async () => {
      const foreign: [string, string, Context][] = [];
      for (const action of OBJECT_ACTIONS) {
        foreign.push([action, objectOf('tenant-a'), B], [action, objectOf('tenant-bx'), B], [action, `${BUCKET_ARN}/tenants/tenant-b`, B]);
      }
      foreign.push(['s3:GetObject', objectOf('tenant-a', 'thumbnails'), B], ['s3:GetObject', objectOf('tenant-a', 'backups'), B]);
      foreign.push(['s3:DeleteObjectVersion', objectOf('tenant-b'), B], ['s3:ListBucket', BUCKET_ARN, B], ['s3:PutObject', objectOf('tenant-b', 'quarantine'), B]);
      // Exports are the backup-export worker's (its own role): not even the tenant's own session reaches them.
      foreign.push(['s3:PutObject', objectOf('tenant-b', 'backups'), B], ['s3:GetObject', objectOf('tenant-b', 'backups'), B]);
      await expectAll(foreign, 'ImplicitlyDenied');
      await expectAll([
        ...OBJECT_ACTIONS.map((action): [string, string, Context] => [action, objectOf('tenant-b'), B]),
        ['s3:GetObject', objectOf('tenant-b', 'thumbnails'), B],
      ], 'Allowed');
    });

    test('the API roles may assume it with a well-formed tenantId tag; other roles and other tags may not', async () => {
      const assume = async (name: string, tags: Record<string, string>) => {
        const fn = functionsByName(stage)[name];
        const principal = roleArn(Stack.of(fn).getLogicalId(fn.role.node.defaultChild as CfnElement));
        const context = { ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])), 'aws:TagKeys': Object.keys(tags) };
        const decisions = await Promise.all(['sts:AssumeRole', 'sts:TagSession'].map((action) =>
          decide(statementsOf(name), action, tenantRoleArn, context, { principal, resourcePolicy: trust })));
        return `${name} ${JSON.stringify(tags)} ${[...new Set(decisions)].join('/')}`;
      };
      const cases: [string, Record<string, string>, Decision][] = [
        ...TENANT_SCOPED_HANDLERS.map((name): [string, Record<string, string>, Decision] => [name, { tenantId: 'tenant-b' }, 'Allowed']),
        // Not an API role of the tenant routes: the public share route, the event functions, a Cognito trigger.
        ['share-open', { tenantId: 'tenant-b' }, 'ImplicitlyDenied'],
        ['cleanup', { tenantId: 'tenant-b' }, 'ImplicitlyDenied'],
        ['file-processor', { tenantId: 'tenant-b' }, 'ImplicitlyDenied'],
        ['user-sync', { tenantId: 'tenant-b' }, 'ImplicitlyDenied'],
        ['health', { tenantId: 'tenant-b' }, 'ImplicitlyDenied'],
        // An API role without the tag, with a malformed one, or with another tag besides.
        ['files', {}, 'ImplicitlyDenied'],
        ['files', { tenantId: '' }, 'ImplicitlyDenied'],
        ['files', { tenantId: 'tenant-a/files' }, 'ImplicitlyDenied'],
        ['files', { tenantId: 'tenant-a:x' }, 'ImplicitlyDenied'],
        ['files', { tenantId: 'x'.repeat(65) }, 'ImplicitlyDenied'],
        ['files', { tenantId: 'tenant-b', role: 'admin' }, 'ImplicitlyDenied'],
        ['files', { tenantId: 'x'.repeat(64) }, 'Allowed'],
      ];
      const actual = [];
      for (const [name, tags] of cases) actual.push(await assume(name, tags));
      expect(actual).toEqual(cases.map(([name, tags, decision]) => `${name} ${JSON.stringify(tags)} ${decision}`));
    });
  });

  test('the compliance remediation role may change bucket policies and public access blocks only on this stage\'s buckets', async () => {
    const rules = stage.security.complianceRules;
    const template = templates.get(stage.security);
    const policy = template.Resources[stage.security.getLogicalId(rules.remediationPolicy!.node.defaultChild as CfnElement)];
    const statements = policy.Properties.PolicyDocument.Statement;
    for (const action of ['s3:PutBucketPolicy', 's3:DeleteBucketPolicy', 's3:PutBucketPublicAccessBlock', 's3:PutEncryptionConfiguration']) {
      expect(await decide(statements, action, BUCKET_ARN)).toBe('Allowed');
      expect(await decide(statements, action, 'arn:aws:s3:::another-apps-bucket')).toBe('ImplicitlyDenied');
      expect(await decide(statements, action, 'arn:aws:s3:::cloudvault-prod-data-filesbucket-9z8y7x')).toBe('ImplicitlyDenied');
    }
  });
});
