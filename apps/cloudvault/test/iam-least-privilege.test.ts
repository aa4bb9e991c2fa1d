import { CfnElement, Stack } from 'aws-cdk-lib';
import { EnvironmentConfig } from '../../../src';
import { testApp } from '../../../test/support/nag-harness';
import { CloudVault } from '../infra/cloudvault-stage';
import { ROUTES } from '../infra/routes';
import { TENANT_SCOPED_HANDLERS } from '../infra/tenant-access';
import { allowedActions, functionsByName, grantedActions } from './support/role-actions';

// The exact permissions of every CloudVault function role, as synthesized: a grant that comes back
// (a read/write L2 grant, a bucket-wide listing, a KMS action) or goes missing fails here. Each
// list is what the function's handler calls (infra/handler-permissions.ts says which call needs what).

/** What every EnhancedLambdaFunction gets: its VPC interfaces, logs, traces, its environment key. */
const BASE = [
  'ec2:AssignPrivateIpAddresses on *', 'ec2:CreateNetworkInterface on *', 'ec2:DeleteNetworkInterface on *',
  'ec2:DescribeNetworkInterfaces on *', 'ec2:DescribeSubnets on *', 'ec2:UnassignPrivateIpAddresses on *',
  'kms:Decrypt on key/default', 'kms:GenerateDataKey on key/default',
  'logs:CreateLogStream on logs/own', 'logs:PutLogEvents on logs/own',
  'xray:PutTelemetryRecords on *', 'xray:PutTraceSegments on *',
];
/** Asynchronous functions also send failed events to their dead-letter queue. */
const ASYNC = [...BASE, 'sqs:SendMessage on queue/dead-letter'];
const TABLE_KEY_READ = ['kms:Decrypt on key/data', 'kms:DescribeKey on key/data'];
const TABLE_KEY_WRITE = [...TABLE_KEY_READ, 'kms:Encrypt on key/data', 'kms:GenerateDataKey on key/data'];
const table = (...actions: string[]) => actions.map((a) => `dynamodb:${a} on table`);
const index = (...names: string[]) => names.map((n) => `dynamodb:Query on table/index/${n}`);
const objects = (prefix: string, ...actions: string[]) => actions.map((a) => `s3:${a} on files/${prefix}`);
/** API functions that act on tenant data with a tenant session (infra/tenant-access.ts). */
const TENANT_SESSION = ['sts:AssumeRole on role/tenant-access', 'sts:TagSession on role/tenant-access'];

const EXPECTED: Record<string, string[]> = {
  'health': BASE,
  'folders': [
    ...BASE, ...TENANT_SESSION, ...table('ConditionCheckItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'), ...index('FolderChildren'), ...TABLE_KEY_WRITE,
    // Recursive deletes: objects, thumbnails, unfinished multipart uploads (issue 17 Low).
    ...objects('tenants/*', 'AbortMultipartUpload', 'DeleteObject'), ...objects('thumbnails/*', 'DeleteObject'),
  ],
  'files': [
    ...BASE, ...TENANT_SESSION, ...table('DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'), ...index('FileSearch', 'FolderChildren'), ...TABLE_KEY_WRITE,
    ...objects('tenants/*', 'AbortMultipartUpload', 'DeleteObject', 'GetObject', 'GetObjectVersion', 'ListMultipartUploadParts', 'PutObject'),
    ...objects('thumbnails/*', 'DeleteObject', 'GetObject', 'GetObjectVersion'),
    // HeadObject tells a missing upload (404) from a denied one only with s3:ListBucket.
    's3:ListBucket on files', 'kms:Decrypt on key/storage', 'kms:GenerateDataKey on key/storage',
  ],
  // Signed-in share routes: no S3 at all, no index but the tenant's list.
  'shares': [...BASE, ...TENANT_SESSION, ...table('ConditionCheckItem', 'DeleteItem', 'GetItem', 'PutItem'), ...index('FileSearch'), ...TABLE_KEY_WRITE],
  // The public route: no delete, no scan, no listing, no object write.
  'share-open': [
    ...BASE, ...table('GetItem', 'PutItem', 'UpdateItem'), ...index('ShareLinks'), ...TABLE_KEY_WRITE,
    ...objects('tenants/*', 'GetObject', 'GetObjectVersion'), 'kms:Decrypt on key/storage',
  ],
  'analytics': [...BASE, ...TENANT_SESSION, ...table('DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'), ...TABLE_KEY_WRITE],
  'notifications': [
    ...BASE, ...TENANT_SESSION, ...table('GetItem', 'Query', 'UpdateItem'), ...TABLE_KEY_WRITE,
    'sqs:GetQueueAttributes on queue/notifications', 'sqs:GetQueueUrl on queue/notifications', 'sqs:SendMessage on queue/notifications',
  ],
  // Records and queues exports; no S3 (the export worker writes them).
  'backup': [
    ...BASE, ...TENANT_SESSION, ...table('GetItem', 'PutItem', 'Query'), ...TABLE_KEY_WRITE,
    'sqs:GetQueueAttributes on queue/backup-exports', 'sqs:GetQueueUrl on queue/backup-exports', 'sqs:SendMessage on queue/backup-exports',
  ],
  'user-sync': [...BASE, ...table('UpdateItem'), ...TABLE_KEY_WRITE],
  'file-processor': [
    ...ASYNC, ...table('GetItem', 'UpdateItem'), ...TABLE_KEY_WRITE,
    ...objects('tenants/*', 'DeleteObject', 'GetObject', 'GetObjectVersion'), 's3:ListBucket on files',
    ...objects('thumbnails/*', 'AbortMultipartUpload', 'PutObject'), ...objects('quarantine/*', 'AbortMultipartUpload', 'PutObject'),
    'kms:Decrypt on key/storage', 'kms:GenerateDataKey on key/storage',
  ],
  'notification-worker': [
    ...ASYNC, ...table('DeleteItem', 'GetItem', 'PutItem', 'UpdateItem'), ...TABLE_KEY_WRITE, 'ses:SendEmail on ses/identity', 'ses:SendEmail on ses/template',
    ...['ChangeMessageVisibility', 'DeleteMessage', 'GetQueueAttributes', 'GetQueueUrl', 'ReceiveMessage'].map((a) => `sqs:${a} on queue/notifications`),
  ],
  'backup-export': [
    ...ASYNC, ...table('GetItem', 'Query', 'UpdateItem'), ...TABLE_KEY_WRITE,
    ...objects('backups/*', 'AbortMultipartUpload', 'GetObject', 'GetObjectVersion', 'PutObject'), 'kms:Decrypt on key/storage', 'kms:GenerateDataKey on key/storage',
    ...['ChangeMessageVisibility', 'DeleteMessage', 'GetQueueAttributes', 'GetQueueUrl', 'ReceiveMessage'].map((a) => `sqs:${a} on queue/backup-exports`),
  ],
  'analytics-aggregator': [...ASYNC, ...table('PutItem', 'Query'), ...TABLE_KEY_WRITE],
  'cleanup': [
    ...ASYNC, ...table('DeleteItem', 'GetItem', 'Query', 'Scan', 'UpdateItem'), ...TABLE_KEY_WRITE,
    ...objects('tenants/*', 'AbortMultipartUpload', 'DeleteObject'), ...objects('thumbnails/*', 'DeleteObject'), 's3:ListBucketMultipartUploads on files',
  ],
  // It writes its daily job record: without the table grant the job started but was never recorded.
  'scheduled-backup': [
    ...ASYNC, ...table('GetItem', 'PutItem', 'UpdateItem'), ...TABLE_KEY_WRITE,
    'backup:DescribeBackupJob on *', 'backup:StartBackupJob on backup-vault', 'iam:PassRole on role/backup',
  ],
};

describe('CloudVault function roles: least privilege per handler', () => {
  let stage: CloudVault;
  const templates = new Map<Stack, any>();
  beforeAll(() => {
    const app = testApp();
    stage = new CloudVault(app, 'CloudVault-dev', { profile: EnvironmentConfig.dev(), env: { account: '123456789012', region: 'eu-west-1' } });
    const assembly = app.synth();
    for (const stack of stage.stacks) templates.set(stack, assembly.getStackArtifact(stack.artifactId).template);
  });
  const actionsOf = (name: string) => {
    const fn = functionsByName(stage)[name];
    return grantedActions(templates.get(Stack.of(fn)), fn);
  };

  test('every function of the stage has an expected action set here', () => {
    expect(Object.keys(functionsByName(stage)).sort()).toEqual(Object.keys(EXPECTED).sort());
    expect(Object.values(functionsByName(stage)).length).toBe(stage.functions.length);
  });

  test.each(Object.keys(EXPECTED))('%s: exactly the actions its handler calls', (name) => {
    expect(actionsOf(name)).toEqual([...new Set(EXPECTED[name])].sort());
  });

  test('no function may batch, describe the table or use KMS beyond encrypt/decrypt; only cleanup scans', () => {
    for (const name of Object.keys(EXPECTED)) {
      const actions = actionsOf(name).map((a) => a.split(' ')[0]);
      expect(actions.filter((a) => /^dynamodb:(Batch|DescribeTable)|^kms:(ReEncrypt|GenerateDataKeyWithout)|\*/.test(a))).toEqual([]);
      if (name !== 'cleanup') expect(actions).not.toContain('dynamodb:Scan');
    }
  });

  test('only the tenant-scoped API functions may start tenant sessions', () => {
    const starting = Object.keys(EXPECTED).filter((name) => actionsOf(name).some((a) => a.startsWith('sts:')));
    expect(starting.sort()).toEqual([...TENANT_SCOPED_HANDLERS].sort());
  });

  test('the tenant session role: item actions on the table and the tenant indexes, objects under the tenant\'s own prefixes', () => {
    const access = stage.api.tenantAccess;
    const template = templates.get(stage.api);
    const statements = template.Resources[stage.api.getLogicalId(access.policy.node.defaultChild as CfnElement)].Properties.PolicyDocument.Statement;
    const tenant = (prefix: string, ...actions: string[]) => objects(`${prefix}/\${aws:PrincipalTag/tenantId}/*`, ...actions);
    expect(allowedActions(statements)).toEqual([...new Set([
      ...table('ConditionCheckItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'), ...index('FileSearch', 'FolderChildren'), ...TABLE_KEY_WRITE,
      ...tenant('tenants', 'AbortMultipartUpload', 'DeleteObject', 'GetObject', 'GetObjectVersion', 'ListMultipartUploadParts', 'PutObject'),
      ...tenant('thumbnails', 'DeleteObject', 'GetObject', 'GetObjectVersion'),
      'kms:Decrypt on key/storage', 'kms:GenerateDataKey on key/storage',
    ])].sort());
    // Every table statement is bound to the session's tenant partition.
    for (const st of statements.filter((x: any) => [x.Action].flat().some((a: string) => a.startsWith('dynamodb:')))) {
      expect(st.Condition).toEqual({
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['TENANT#${aws:PrincipalTag/tenantId}', 'TENANT#${aws:PrincipalTag/tenantId}#*'] },
        'Null': { 'dynamodb:LeadingKeys': 'false' },
      });
    }
  });

  test('the public share-open route runs in its own function, which serves nothing else', () => {
    const publicShares = ROUTES.filter((r) => r.path.startsWith('/api/shares') && r.publicReason !== undefined);
    expect(publicShares.map((r) => `${r.method} ${r.path} ${r.handler}`)).toEqual(['GET /api/shares/{token} share-open']);
    expect(ROUTES.filter((r) => r.handler === 'share-open')).toEqual(publicShares);
  });
});
