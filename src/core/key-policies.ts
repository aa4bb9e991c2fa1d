import { ArnFormat, Stack, aws_iam as iam, aws_kms as kms } from 'aws-cdk-lib';

/**
 * Denies kms:CreateGrant to every principal unless the grant is for an AWS resource or the caller
 * is an AWS service (AWS Control Tower CT.KMS.PR.3). Services that encrypt with the key on a
 * caller's behalf (DynamoDB, S3, Lambda, Backup, ...) create their grants that way, so they keep
 * working; a person or role can no longer hand the key's use to someone else through a grant.
 */
export function limitGrantsToAwsServices(key: kms.Key): void {
  key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'DenyGrantsExceptForAwsServices',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
  }));
}

/**
 * Lets CloudWatch Logs use the key, only for log groups of this account and region
 * (encryption-context condition), as the service requires for encrypted log groups.
 */
export function allowCloudWatchLogs(key: kms.IKey): void {
  const stack = Stack.of(key);
  key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'AllowCloudWatchLogsForThisAccount',
    principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
    actions: [
      'kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo',
      'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey',
    ],
    resources: ['*'],
    conditions: {
      ArnLike: {
        'kms:EncryptionContext:aws:logs:arn': stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      },
    },
  }));
}

/**
 * Lets an AWS service that delivers into encrypted topics or queues as itself (CloudWatch alarms,
 * EventBridge, Budgets, AWS Config, SNS, ...) use the key, for this account only. Returns false
 * when the key is imported and its policy cannot be changed here (its owner must allow it).
 */
export function allowServiceToDeliver(key: kms.IKey, service: string, sid: string): boolean {
  return key.addToResourcePolicy(new iam.PolicyStatement({
    sid,
    principals: [new iam.ServicePrincipal(`${service}.amazonaws.com`)],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
    resources: ['*'],
    conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(key).account } },
  })).statementAdded;
}

/** Lets CloudWatch alarms publish to SNS topics encrypted with the key. */
export function allowCloudWatchAlarms(key: kms.IKey): boolean {
  return allowServiceToDeliver(key, 'cloudwatch', 'AllowCloudWatchAlarmsToPublish');
}
