import { runSimulation } from '@cloud-copilot/iam-simulate';
import { CfnElement, Stack } from 'aws-cdk-lib';
import { EnvironmentConfig } from '../../../src';
import { testApp } from '../../../test/support/nag-harness';
import { CloudVault } from '../infra/cloudvault-stage';
import { ACCOUNT, BUCKET_ARN, DATA_KEY_ARN, TABLE_ARN, resolveIntrinsics } from './support/resolve-intrinsics';
import { functionsByName, roleStatements } from './support/role-actions';

// An offline IAM evaluation (@cloud-copilot/iam-simulate) of the synthesized CloudVault policies,
// with their intrinsics resolved to concrete ARNs: what each role may no longer do is denied, what
// its handler does is allowed. Local mode evaluates no IAM at all; this is where the policies are proven.

type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

const OBJECT_A = `${BUCKET_ARN}/tenants/tenant-a/files/f1/v1`;
const THUMB_A = `${BUCKET_ARN}/thumbnails/tenant-a/f1.webp`;
const BACKUP_A = `${BUCKET_ARN}/backups/tenant-a/b1.json`;
const index = (name: string) => `${TABLE_ARN}/index/${name}`;

async function decide(statements: unknown[], action: string, resource: string, context: Record<string, string> = {}): Promise<Decision> {
  const result = await runSimulation({
    identityPolicies: [{ name: 'role', policy: { Version: '2012-10-17', Statement: resolveIntrinsics(statements) as any } }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    request: {
      action,
      principal: `arn:aws:iam::${ACCOUNT}:role/cloudvault-function`,
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
  'backup': {
    denied: [['dynamodb:Scan', TABLE_ARN], ['s3:DeleteObject', BACKUP_A], ['s3:ListBucket', BUCKET_ARN], ['s3:GetObject', OBJECT_A]],
    allowed: [['s3:PutObject', BACKUP_A], ['s3:GetObject', BACKUP_A], ['dynamodb:Query', TABLE_ARN]],
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
