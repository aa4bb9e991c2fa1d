import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, ArnFormat, Stack, aws_backup as backup, aws_dynamodb as dynamodb } from 'aws-cdk-lib';
import { EnvironmentConfig, BackupPlan } from '../src';
import { SecureBucket, SecureTable } from '../src/storage';

const app = new App();
// Two fixed regions: copies must leave the primary region, which the construct checks.
const PRIMARY = { region: 'eu-west-1' };
const SECONDARY = { region: 'eu-central-1' };
const DR_VAULT = 'cv-integ-backup-dr';

// The secondary region's own BackupPlan supplies the vault that receives the copies; its fixed
// name makes the ARN known to the primary stack without a cross-region reference.
const secondary = new Stack(app, 'CvIntegBackupPlanSecondary', { env: SECONDARY });
EnvironmentConfig.dev().applyTo(secondary); // integ stacks are torn down after the run
new BackupPlan(secondary, 'Dr', { backupVaultName: DR_VAULT, daily: { retentionDays: 7 } });

const stack = new Stack(app, 'CvIntegBackupPlan', { env: PRIMARY });
EnvironmentConfig.dev().applyTo(stack);
stack.addStackDependency(secondary);

const files = new SecureTable(stack, 'Files', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
const blobs = new SecureBucket(stack, 'Blobs');
const secondaryVaultArn = stack.formatArn({
  service: 'backup', region: SECONDARY.region, resource: 'backup-vault', resourceName: DR_VAULT, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
});
const plan = new BackupPlan(stack, 'Backups', {
  // Governance mode (no changeableForDays), so the empty vault can still be deleted after the run.
  vaultLock: { minRetentionDays: 1, maxRetentionDays: 400 },
  daily: { retentionDays: 7 },
  weekly: { retentionDays: 120, moveToColdStorageAfterDays: 30 },
  monthly: { retentionDays: 365 },
  secondaryVaultArn,
});
const tableSelection = plan.addTable(files);
plan.addBucket(blobs);
plan.addSelection('Tagged', [backup.BackupResource.fromTag('cloudvault:backup', 'integ')]);

const integ = new IntegTest(app, 'BackupPlanIntegTest', {
  testCases: [secondary, stack],
  assertionStack: new Stack(app, 'CvIntegBackupPlanAssertions', { env: PRIMARY }),
});
const BackupPlanId = plan.backupPlanId;

// The vault is encrypted with the customer-managed key and locked between 1 and 400 days.
integ.assertions.awsApiCall('Backup', 'describeBackupVault', { BackupVaultName: plan.backupVaultName })
  .expect(ExpectedResult.objectLike({
    BackupVaultName: plan.backupVaultName,
    EncryptionKeyArn: plan.encryptionKey.keyArn,
    MinRetentionDays: 1,
    MaxRetentionDays: 400,
  }));

// Daily (continuous), weekly (cold after 30 days) and monthly rules, each copied to the secondary vault.
const copy = (lifecycle: Record<string, number>) => [
  Match.objectLike({ DestinationBackupVaultArn: secondaryVaultArn, Lifecycle: Match.objectLike(lifecycle) }),
];
integ.assertions.awsApiCall('Backup', 'getBackupPlan', { BackupPlanId })
  .expect(ExpectedResult.objectLike({
    BackupPlan: Match.objectLike({
      Rules: Match.arrayWith([
        Match.objectLike({
          RuleName: 'Daily',
          ScheduleExpression: 'cron(0 3 * * ? *)',
          StartWindowMinutes: 60,
          EnableContinuousBackup: true,
          Lifecycle: Match.objectLike({ DeleteAfterDays: 7 }),
          CopyActions: copy({ DeleteAfterDays: 7 }),
        }),
        Match.objectLike({
          RuleName: 'Weekly',
          Lifecycle: Match.objectLike({ DeleteAfterDays: 120, MoveToColdStorageAfterDays: 30 }),
          CopyActions: copy({ DeleteAfterDays: 120, MoveToColdStorageAfterDays: 30 }),
        }),
        Match.objectLike({ RuleName: 'Monthly', Lifecycle: Match.objectLike({ DeleteAfterDays: 365 }), CopyActions: copy({ DeleteAfterDays: 365 }) }),
      ]),
    }),
  }));

// The table is selected by ARN, with the plan's role.
integ.assertions.awsApiCall('Backup', 'getBackupSelection', { BackupPlanId, SelectionId: tableSelection.selectionId })
  .expect(ExpectedResult.objectLike({
    BackupSelection: Match.objectLike({ SelectionName: 'TableFiles', IamRoleArn: plan.role.roleArn, Resources: [files.tableArn] }),
  }));
integ.assertions.awsApiCall('Backup', 'listBackupSelections', { BackupPlanId })
  .expect(ExpectedResult.objectLike({
    BackupSelectionsList: Match.arrayWith([
      Match.objectLike({ SelectionName: 'BucketBlobs' }),
      Match.objectLike({ SelectionName: 'Tagged' }),
    ]),
  }));

// The role carries AWS Backup's own policies, the S3 ones included (a bucket is selected).
integ.assertions.awsApiCall('IAM', 'listAttachedRolePolicies', { RoleName: plan.role.roleName })
  .expect(ExpectedResult.objectLike({
    AttachedPolicies: Match.arrayWith(['AWSBackupServiceRolePolicyForBackup', 'AWSBackupServiceRolePolicyForRestores',
      'AWSBackupServiceRolePolicyForS3Backup', 'AWSBackupServiceRolePolicyForS3Restore'].map((PolicyName) => Match.objectLike({ PolicyName }))),
  }));

// Failed backup and copy jobs of the vault raise alarms.
integ.assertions.awsApiCall('CloudWatch', 'describeAlarms', { AlarmNamePrefix: `${stack.stackName}-${plan.alarms.alarmSetName}-` })
  .expect(ExpectedResult.objectLike({
    MetricAlarms: [
      Match.objectLike({ Namespace: 'AWS/Backup', MetricName: 'NumberOfBackupJobsFailed' }),
      Match.objectLike({ Namespace: 'AWS/Backup', MetricName: 'NumberOfCopyJobsFailed' }),
    ],
  }));

app.synth();
