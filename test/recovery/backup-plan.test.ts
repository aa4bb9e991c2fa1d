import { ArnFormat, RemovalPolicy, Stack, aws_backup as backup, aws_dynamodb as dynamodb, aws_iam as iam, aws_kms as kms } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EnvironmentConfig } from '../../src/governance';
import { AlarmSet } from '../../src/monitoring';
import { BackupPlan, BackupPlanProps } from '../../src/recovery';
import { SecureBucket, SecureTable } from '../../src/storage';
import { expectNagClean, nagFindings, testStack } from '../support/nag-harness';
import { testKey } from '../support/test-key';

const SECONDARY_VAULT = 'arn:aws:backup:eu-central-1:123456789012:backup-vault:cloudvault-dr';
const SECONDARY_KEY = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const awsPolicy = (name: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::aws:policy/service-role/${name}`]] });

function only(template: Template, type: string): any {
  const found = Object.values(template.findResources(type));
  expect(found).toHaveLength(1);
  return found[0];
}

function rulesOf(template: Template): any[] {
  return only(template, 'AWS::Backup::BackupPlan').Properties.BackupPlan.BackupPlanRule;
}

describe('BackupPlan with default props (prod profile)', () => {
  let stack: Stack;
  let plan: BackupPlan;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    plan = new BackupPlan(stack, 'Backups');
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('encrypts the vault with the stack\'s customer-managed key, denies deleting recovery points and is retained', () => {
    const vault = only(template, 'AWS::Backup::BackupVault');
    expect(vault.Properties.EncryptionKeyArn).toEqual(stack.resolve(plan.encryptionKey.keyArn));
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    expect(vault.Properties.AccessPolicy.Statement).toEqual([{
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['backup:DeleteRecoveryPoint', 'backup:UpdateRecoveryPointLifecycle'],
      Resource: '*',
    }]);
    expect(vault.Properties.LockConfiguration).toBeUndefined();
    expect(vault.DeletionPolicy).toBe('Retain');
  });

  test('backs up daily (continuous, 35 days) and monthly (one year) into the vault, starting within an hour', () => {
    const vaultName = stack.resolve(plan.backupVaultName);
    expect(rulesOf(template)).toEqual([
      {
        RuleName: 'Daily',
        ScheduleExpression: 'cron(0 3 * * ? *)',
        StartWindowMinutes: 60,
        EnableContinuousBackup: true,
        Lifecycle: { DeleteAfterDays: 35 },
        TargetBackupVault: vaultName,
      },
      {
        RuleName: 'Monthly',
        ScheduleExpression: 'cron(0 5 1 * ? *)',
        StartWindowMinutes: 60,
        Lifecycle: { DeleteAfterDays: 365 },
        TargetBackupVault: vaultName,
      },
    ]);
  });

  test('AWS Backup assumes a role with its own backup and restore policies and the vault key', () => {
    const role = only(template, 'AWS::IAM::Role');
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'backup.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
    expect(role.Properties.ManagedPolicyArns).toEqual([
      awsPolicy('AWSBackupServiceRolePolicyForBackup'),
      awsPolicy('AWSBackupServiceRolePolicyForRestores'),
    ]);
    const keyArn = stack.resolve(plan.encryptionKey.keyArn);
    expect(only(template, 'AWS::IAM::ManagedPolicy').Properties.PolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'], Resource: keyArn },
      { Effect: 'Allow', Action: 'kms:CreateGrant', Resource: keyArn, Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } },
    ]);
  });

  test('alarms on failed backup jobs of the vault; no copy alarm without a secondary vault', () => {
    expect(plan.alarms.alarms).toHaveLength(1);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Backup',
      MetricName: 'NumberOfBackupJobsFailed',
      Dimensions: [{ Name: 'BackupVaultName', Value: stack.resolve(plan.backupVaultName) }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  test('selects nothing until resources are added', () => {
    template.resourceCountIs('AWS::Backup::BackupSelection', 0);
  });
});

describe('BackupPlan with a rich configuration (dev profile)', () => {
  let stack: Stack;
  let plan: BackupPlan;
  let key: kms.Key;
  let table: SecureTable;
  let bucket: SecureBucket;
  let shared: AlarmSet;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    EnvironmentConfig.dev().applyTo(stack);
    key = testKey(stack, 'VaultKey', { enableKeyRotation: true, removalPolicy: RemovalPolicy.DESTROY });
    shared = new AlarmSet(stack, 'Ops');
    table = new SecureTable(stack, 'Files', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    bucket = new SecureBucket(stack, 'Blobs');
    plan = new BackupPlan(stack, 'Backups', {
      backupPlanName: 'cloudvault-backups',
      backupVaultName: 'cloudvault-vault',
      encryptionKey: key,
      vaultLock: { minRetentionDays: 7, maxRetentionDays: 400, changeableForDays: 3 },
      daily: { retentionDays: 14 },
      weekly: { retentionDays: 120, moveToColdStorageAfterDays: 30 },
      monthly: { retentionDays: 400, moveToColdStorageAfterDays: 90 },
      secondaryVaultArn: SECONDARY_VAULT,
      secondaryVaultKeyArn: SECONDARY_KEY,
      alarms: shared,
    });
    plan.addTable(table);
    plan.addBucket(bucket);
    plan.addSelection('Tagged', [backup.BackupResource.fromTag('backup', 'daily')]);
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('uses the given names and key and locks the vault between 7 and 400 days, immutable after 3 days', () => {
    const vault = only(template, 'AWS::Backup::BackupVault');
    expect(vault.Properties).toMatchObject({
      BackupVaultName: 'cloudvault-vault',
      EncryptionKeyArn: stack.resolve(key.keyArn),
      LockConfiguration: { MinRetentionDays: 7, MaxRetentionDays: 400, ChangeableForDays: 3 },
    });
    expect(only(template, 'AWS::Backup::BackupPlan').Properties.BackupPlan.BackupPlanName).toBe('cloudvault-backups');
  });

  test('dev lets the vault go with the stack and does not block deleting recovery points', () => {
    const vault = only(template, 'AWS::Backup::BackupVault');
    expect(vault.DeletionPolicy).toBe('Delete');
    expect(vault.Properties.AccessPolicy).toBeUndefined();
  });

  test('has daily (continuous), weekly and monthly rules with cold storage, each copied to the secondary vault with its lifecycle', () => {
    const rules = rulesOf(template);
    expect(rules.map((r) => [r.RuleName, r.ScheduleExpression, r.EnableContinuousBackup, r.Lifecycle])).toEqual([
      ['Daily', 'cron(0 3 * * ? *)', true, { DeleteAfterDays: 14 }],
      ['Weekly', 'cron(0 4 ? * SUN *)', undefined, { DeleteAfterDays: 120, MoveToColdStorageAfterDays: 30 }],
      ['Monthly', 'cron(0 5 1 * ? *)', undefined, { DeleteAfterDays: 400, MoveToColdStorageAfterDays: 90 }],
    ]);
    for (const rule of rules) {
      expect(rule.CopyActions).toEqual([{ DestinationBackupVaultArn: SECONDARY_VAULT, Lifecycle: rule.Lifecycle }]);
    }
  });

  test('selects the table, the bucket and resources tagged backup=daily, all with the plan\'s role', () => {
    const selections = Object.values(template.findResources('AWS::Backup::BackupSelection')).map((s: any) => s.Properties.BackupSelection);
    const roleArn = stack.resolve(plan.role.roleArn);
    expect(selections).toEqual([
      { SelectionName: 'TableFiles', IamRoleArn: roleArn, Resources: [stack.resolve(table.tableArn)] },
      { SelectionName: 'BucketBlobs', IamRoleArn: roleArn, Resources: [stack.resolve(bucket.bucketArn)] },
      { SelectionName: 'Tagged', IamRoleArn: roleArn, ListOfTags: [{ ConditionType: 'STRINGEQUALS', ConditionKey: 'backup', ConditionValue: 'daily' }] },
    ]);
  });

  test('the role gets AWS Backup\'s S3 policies (a bucket is selected) and the vault, source and secondary keys, nothing else', () => {
    const role = template.toJSON().Resources[stack.getLogicalId(plan.role.node.defaultChild as any)];
    expect(role.Properties.ManagedPolicyArns).toEqual([
      awsPolicy('AWSBackupServiceRolePolicyForBackup'),
      awsPolicy('AWSBackupServiceRolePolicyForRestores'),
      awsPolicy('AWSBackupServiceRolePolicyForS3Backup'),
      awsPolicy('AWSBackupServiceRolePolicyForS3Restore'),
    ]);
    const policy = Object.values(template.findResources('AWS::IAM::ManagedPolicy'))
      .find((p: any) => JSON.stringify(p.Properties.Roles) === JSON.stringify([stack.resolve(plan.role.roleName)])) as any;
    const keys = policy.Properties.PolicyDocument.Statement.filter((s: any) => s.Action !== 'kms:CreateGrant').map((s: any) => s.Resource);
    // The table and the bucket share the stack's default key: it is granted once.
    expect(keys).toEqual([stack.resolve(key.keyArn), SECONDARY_KEY, stack.resolve(table.encryptionKey.keyArn)]);
    expect(table.encryptionKey).toBe(bucket.encryptionKey);
    for (const s of policy.Properties.PolicyDocument.Statement) {
      expect(s.Action).toEqual(s.Action === 'kms:CreateGrant' ? 'kms:CreateGrant' : ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey']);
    }
  });

  test('alarms on failed backup and copy jobs in the shared set', () => {
    expect(plan.alarms).toBe(shared);
    for (const [id, metricName] of [['BackupsBackupJobsFailed', 'NumberOfBackupJobsFailed'], ['BackupsCopyJobsFailed', 'NumberOfCopyJobsFailed']]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `Test-Ops-${id}`,
        Namespace: 'AWS/Backup',
        MetricName: metricName,
        Dimensions: [{ Name: 'BackupVaultName', Value: stack.resolve(plan.backupVaultName) }],
        ActionsEnabled: false,
      });
    }
  });
});

describe('BackupPlan rule choices', () => {
  test('a daily rule kept longer than 35 days is not continuous by default', () => {
    const stack = testStack();
    new BackupPlan(stack, 'Backups', { daily: { retentionDays: 90 } });
    expect(rulesOf(Template.fromStack(stack))).toEqual([expect.objectContaining({ RuleName: 'Daily', Lifecycle: { DeleteAfterDays: 90 } })]);
    expect(rulesOf(Template.fromStack(stack))[0].EnableContinuousBackup).toBeUndefined();
  });

  test('continuous backup can be turned off; giving only a weekly rule drops the default daily and monthly rules', () => {
    const stack = testStack();
    new BackupPlan(stack, 'A', { daily: { retentionDays: 7 }, enableContinuousBackup: false });
    new BackupPlan(stack, 'B', { weekly: { retentionDays: 60 } });
    const plans = Object.values(Template.fromStack(stack).findResources('AWS::Backup::BackupPlan')).map((p: any) => p.Properties.BackupPlan.BackupPlanRule);
    expect(plans[0]).toEqual([expect.objectContaining({ RuleName: 'Daily' })]);
    expect(plans[0][0].EnableContinuousBackup).toBeUndefined();
    expect(plans[1]).toEqual([expect.objectContaining({ RuleName: 'Weekly', Lifecycle: { DeleteAfterDays: 60 } })]);
  });

  test('a selection of an S3 ARN attaches the S3 policies, one of a DynamoDB ARN does not', () => {
    const stack = testStack();
    const dynamo = new BackupPlan(stack, 'Dynamo');
    dynamo.addSelection('Table', [backup.BackupResource.fromArn('arn:aws:dynamodb:eu-west-1:123456789012:table/files')]);
    const s3 = new BackupPlan(stack, 'S3');
    s3.addSelection('Bucket', [backup.BackupResource.fromArn('arn:aws:s3:::cloudvault-blobs')]);
    const template = Template.fromStack(stack).toJSON();
    const arns = (p: BackupPlan) => template.Resources[stack.getLogicalId(p.role.node.defaultChild as any)].Properties.ManagedPolicyArns;
    expect(arns(dynamo)).toHaveLength(2);
    expect(arns(s3)).toContainEqual(awsPolicy('AWSBackupServiceRolePolicyForS3Backup'));
  });
});

test('the AwsSolutions-IAM4 acknowledgement covers AWS Backup\'s policies only', () => {
  const stack = testStack();
  const plan = new BackupPlan(stack, 'Backups');
  plan.role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess'));
  expect(nagFindings(stack).filter((f) => f.rule.startsWith('AwsSolutions-IAM4')).map((f) => f.rule))
    .toEqual(['AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/ReadOnlyAccess]']);
});

describe('BackupPlan validation', () => {
  const make = (props: BackupPlanProps, stack: Stack = testStack()) => new BackupPlan(stack, 'Backups', props);

  test.each<[string, BackupPlanProps, string]>([
    ['retention below one day', { daily: { retentionDays: 0 } },
      'BackupPlan "Backups" (Test/Backups): daily.retentionDays must be an integer 1-36500, got 0'],
    ['retention shorter than a cold-storage transition + 90 days', { weekly: { retentionDays: 100, moveToColdStorageAfterDays: 30 } },
      'BackupPlan "Backups" (Test/Backups): weekly.retentionDays must be >= 120 (moveToColdStorageAfterDays 30 + 90: AWS Backup keeps recovery points in cold storage for at least 90 days), got 100'],
    ['continuous backup kept longer than 35 days', { daily: { retentionDays: 60 }, enableContinuousBackup: true },
      'BackupPlan "Backups" (Test/Backups): daily.retentionDays must be <= 35 when enableContinuousBackup is true (continuous backups are kept at most 35 days), got 60'],
    ['continuous backup with cold storage', { daily: { retentionDays: 30, moveToColdStorageAfterDays: 1 }, enableContinuousBackup: true },
      'BackupPlan "Backups" (Test/Backups): daily.moveToColdStorageAfterDays must be unset when enableContinuousBackup is true (continuous backups never move to cold storage), got 1'],
    ['continuous backup without a daily rule', { monthly: { retentionDays: 365 }, enableContinuousBackup: true },
      'BackupPlan "Backups" (Test/Backups): enableContinuousBackup must be false when the plan has no daily rule (continuous backup is a setting of the daily rule), got true'],
    ['vault lock minimum above maximum', { vaultLock: { minRetentionDays: 30, maxRetentionDays: 7 } },
      'BackupPlan "Backups" (Test/Backups): vaultLock.minRetentionDays must be <= vaultLock.maxRetentionDays (7), got 30'],
    ['vault lock minimum of zero days', { vaultLock: { minRetentionDays: 0 } },
      'BackupPlan "Backups" (Test/Backups): vaultLock.minRetentionDays must be an integer 1-36500, got 0'],
    ['vault lock cooling-off below 3 days', { vaultLock: { minRetentionDays: 1, changeableForDays: 2 } },
      'BackupPlan "Backups" (Test/Backups): vaultLock.changeableForDays must be an integer 3-36500, got 2'],
    ['a rule kept shorter than the lock minimum', { daily: { retentionDays: 7 }, vaultLock: { minRetentionDays: 14 } },
      'BackupPlan "Backups" (Test/Backups): daily.retentionDays must be >= vaultLock.minRetentionDays (14), or the vault fails its backup jobs, got 7'],
    ['a rule kept longer than the lock maximum', { vaultLock: { minRetentionDays: 1, maxRetentionDays: 100 } },
      'BackupPlan "Backups" (Test/Backups): monthly.retentionDays must be <= vaultLock.maxRetentionDays (100), or the vault fails its backup jobs, got 365'],
    ['a secondary vault in the primary region', { secondaryVaultArn: 'arn:aws:backup:eu-west-1:123456789012:backup-vault:dr' },
      'BackupPlan "Backups" (Test/Backups): secondaryVaultArn must be a vault in another region than the stack\'s own (eu-west-1): a copy in the same region does not survive a regional outage, got "arn:aws:backup:eu-west-1:123456789012:backup-vault:dr"'],
    ['a secondary vault ARN that is no vault ARN', { secondaryVaultArn: 'arn:aws:s3:::cloudvault-dr' },
      'BackupPlan "Backups" (Test/Backups): secondaryVaultArn must be a backup vault ARN (arn:<partition>:backup:<region>:<account>:backup-vault:<name>), got "arn:aws:s3:::cloudvault-dr"'],
    ['a secondary vault ARN with a malformed region', { secondaryVaultArn: 'arn:aws:backup:Frankfurt:123456789012:backup-vault:dr' },
      'BackupPlan "Backups" (Test/Backups): secondaryVaultArn must be an ARN whose region is an AWS region name such as "eu-central-1" (found "Frankfurt"), got "arn:aws:backup:Frankfurt:123456789012:backup-vault:dr"'],
    ['a secondary key in another region than the secondary vault', {
      secondaryVaultArn: SECONDARY_VAULT,
      secondaryVaultKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    }, 'BackupPlan "Backups" (Test/Backups): secondaryVaultKeyArn must be a key in the secondary vault\'s region (eu-central-1), got "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"'],
    ['a secondary key without a secondary vault', { secondaryVaultKeyArn: SECONDARY_KEY },
      `BackupPlan "Backups" (Test/Backups): secondaryVaultKeyArn must be unset when secondaryVaultArn is unset, got "${SECONDARY_KEY}"`],
    ['an invalid vault name', { backupVaultName: 'my vault' },
      'BackupPlan "Backups" (Test/Backups): backupVaultName must be 2-50 letters, digits, "-" or "_", got "my vault"'],
  ])('rejects %s', (_name, props, message) => {
    expect(() => make(props)).toThrow(message);
  });

  test('rejects an empty selection', () => {
    const plan = make({});
    expect(() => plan.addSelection('Nothing', [])).toThrow('BackupPlan "Backups/Nothing" (Test/Backups/Nothing): resources.length must be at least 1, got 0');
  });

  test('checks the literal parts of an ARN built with formatArn, and accepts a vault in another region', () => {
    const stack = testStack();
    const arn = (region: string) => stack.formatArn({ service: 'backup', region, resource: 'backup-vault', resourceName: 'dr', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    expect(() => make({ secondaryVaultArn: arn('eu-central-1') }, stack)).not.toThrow();
    expect(() => make({ secondaryVaultArn: arn('eu-west-1') }, testStack())).toThrow(/secondaryVaultArn must be a vault in another region/);
  });
});
