import { aws_kms as kms, aws_logs as logs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EnvironmentConfig } from './environment-config';
import { allowCloudWatchLogs } from '../core/key-policies';

/** Options of `encryptedLogGroup`. */
export interface EncryptedLogGroupOptions {
  /** Key the group's events are encrypted with; its policy is extended to let CloudWatch Logs use it. */
  readonly encryptionKey: kms.IKey;
  /** Retention; defaults to the EnvironmentConfig's. */
  readonly retention?: logs.RetentionDays;
  /** Name, where the writing service expects one (API Gateway execution logs, RDS, WAF). */
  readonly logGroupName?: string;
}

/**
 * A log group as every construct of the library makes one: KMS-encrypted with `encryptionKey`
 * (whose policy gets the CloudWatch Logs statement), retention and removal policy from the
 * EnvironmentConfig, so no group is left unencrypted or kept forever. Not exported from the
 * package: constructs expose the group they make.
 */
export function encryptedLogGroup(scope: Construct, id: string, options: EncryptedLogGroupOptions): logs.LogGroup {
  const profile = EnvironmentConfig.of(scope);
  allowCloudWatchLogs(options.encryptionKey);
  return new logs.LogGroup(scope, id, {
    // Only when given: an explicit undefined would still show in the construct's analytics metadata.
    ...(options.logGroupName !== undefined ? { logGroupName: options.logGroupName } : {}),
    encryptionKey: options.encryptionKey,
    retention: options.retention ?? profile.logRetention,
    removalPolicy: profile.removalPolicy,
  });
}
