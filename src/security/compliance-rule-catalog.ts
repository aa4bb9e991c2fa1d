import { Stack } from 'aws-cdk-lib';

/**
 * Data behind ComplianceRules (not exported from the package): the AWS Config managed rule of
 * each ComplianceRule and, where AWS publishes a remediation runbook for it, the AWS-owned SSM
 * Automation document, its parameters and the exact actions the runbook calls.
 */

/** Actions of a runbook on one kind of resource. */
export interface RemediationGrant {
  readonly actions: string[];
  /** ARN pattern of the resources; '*' only for actions without resource-level permissions. */
  readonly resource: (stack: Stack) => string;
  /** S3 bucket ARNs carry no account: such grants are limited by aws:ResourceAccount instead. */
  readonly accountCondition?: boolean;
}

export interface RemediationSpec {
  /** AWS-owned SSM Automation document. */
  readonly document: string;
  /** Runbook parameter that receives the non-compliant resource's id (Config's RESOURCE_ID). */
  readonly resourceParameter: string;
  /** Fixed runbook parameters. */
  readonly staticParameters?: Record<string, string>;
  readonly grants: RemediationGrant[];
}

export interface RuleSpec {
  /** Managed rule identifier (config.ManagedRuleIdentifiers). */
  readonly identifier: string;
  /** Rule name suffix, AWS's own lower-case name of the managed rule. */
  readonly name: string;
  readonly description: string;
  readonly inputParameters?: Record<string, string>;
  readonly remediation?: RemediationSpec;
}

const anyBucket = (stack: Stack) => stack.formatArn({ service: 's3', region: '', account: '', resource: '*' });
const anyTable = (stack: Stack) => stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: '*' });
const anyKey = (stack: Stack) => stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' });
const anyTrail = (stack: Stack) => stack.formatArn({ service: 'cloudtrail', resource: 'trail', resourceName: '*' });
const anySecurityGroup = (stack: Stack) => stack.formatArn({ service: 'ec2', resource: 'security-group', resourceName: '*' });
// ec2:Describe* actions have no resource-level permissions.
const noResourceLevel = () => '*';

function bucketRemediation(document: string, resourceParameter: string, actions: string[],
  staticParameters?: Record<string, string>): RemediationSpec {
  return { document, resourceParameter, staticParameters, grants: [{ actions, resource: anyBucket, accountCondition: true }] };
}

/** Keyed by ComplianceRule value (the enum's values equal these keys). */
export const RULE_CATALOG: Record<string, RuleSpec> = {
  S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED: {
    identifier: 'S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED',
    name: 's3-bucket-server-side-encryption-enabled',
    description: 'S3 buckets have default encryption (SecureBucket: SSE-KMS with a customer-managed key)',
    // SSE-S3 is the floor the runbook can set on any bucket, log delivery targets included;
    // it cannot know which customer-managed key a bucket should use.
    remediation: bucketRemediation('AWS-EnableS3BucketEncryption', 'BucketName', ['s3:PutEncryptionConfiguration'], { SSEAlgorithm: 'AES256' }),
  },
  S3_BUCKET_PUBLIC_READ_PROHIBITED: {
    identifier: 'S3_BUCKET_PUBLIC_READ_PROHIBITED',
    name: 's3-bucket-public-read-prohibited',
    description: 'S3 buckets do not allow public read access',
    remediation: bucketRemediation('AWS-DisableS3BucketPublicReadWrite', 'S3BucketName', ['s3:PutBucketPublicAccessBlock']),
  },
  S3_BUCKET_PUBLIC_WRITE_PROHIBITED: {
    identifier: 'S3_BUCKET_PUBLIC_WRITE_PROHIBITED',
    name: 's3-bucket-public-write-prohibited',
    description: 'S3 buckets do not allow public write access',
    remediation: bucketRemediation('AWS-DisableS3BucketPublicReadWrite', 'S3BucketName', ['s3:PutBucketPublicAccessBlock']),
  },
  S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED: {
    identifier: 'S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED',
    name: 's3-bucket-level-public-access-prohibited',
    description: 'S3 buckets have all four Block Public Access settings on',
    remediation: bucketRemediation('AWSConfigRemediation-ConfigureS3BucketPublicAccessBlock', 'BucketName',
      ['s3:GetBucketPublicAccessBlock', 's3:PutBucketPublicAccessBlock']),
  },
  S3_BUCKET_SSL_REQUESTS_ONLY: {
    identifier: 'S3_BUCKET_SSL_REQUESTS_ONLY',
    name: 's3-bucket-ssl-requests-only',
    description: 'S3 bucket policies deny requests without TLS',
    remediation: bucketRemediation('AWSConfigRemediation-RestrictBucketSSLRequestsOnly', 'BucketName',
      ['s3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy']),
  },
  S3_BUCKET_VERSIONING_ENABLED: {
    identifier: 'S3_BUCKET_VERSIONING_ENABLED',
    name: 's3-bucket-versioning-enabled',
    description: 'S3 buckets are versioned',
    remediation: bucketRemediation('AWS-ConfigureS3BucketVersioning', 'BucketName', ['s3:PutBucketVersioning'], { VersioningState: 'Enabled' }),
  },
  DYNAMODB_PITR_ENABLED: {
    identifier: 'DYNAMODB_PITR_ENABLED',
    name: 'dynamodb-pitr-enabled',
    description: 'DynamoDB tables have point-in-time recovery on',
    remediation: {
      document: 'AWSConfigRemediation-EnablePITRForDynamoDbTable',
      resourceParameter: 'TableName',
      grants: [{ actions: ['dynamodb:DescribeContinuousBackups', 'dynamodb:UpdateContinuousBackups'], resource: anyTable }],
    },
  },
  DYNAMODB_TABLE_ENCRYPTED_KMS: {
    identifier: 'DYNAMODB_TABLE_ENCRYPTED_KMS',
    name: 'dynamodb-table-encrypted-kms',
    description: 'DynamoDB tables are encrypted with a KMS key',
  },
  LAMBDA_INSIDE_VPC: {
    identifier: 'LAMBDA_INSIDE_VPC',
    name: 'lambda-inside-vpc',
    description: 'Lambda functions run in a VPC',
  },
  LAMBDA_CONCURRENCY_CHECK: {
    identifier: 'LAMBDA_CONCURRENCY_CHECK',
    name: 'lambda-concurrency-check',
    description: 'Lambda functions have a reserved concurrency limit',
  },
  CMK_BACKING_KEY_ROTATION_ENABLED: {
    identifier: 'CMK_BACKING_KEY_ROTATION_ENABLED',
    name: 'cmk-backing-key-rotation-enabled',
    description: 'Customer-managed KMS keys rotate automatically',
    remediation: {
      document: 'AWSConfigRemediation-EnableKeyRotation',
      resourceParameter: 'KeyId',
      grants: [{ actions: ['kms:EnableKeyRotation', 'kms:GetKeyRotationStatus'], resource: anyKey }],
    },
  },
  CLOUD_TRAIL_ENABLED: {
    identifier: 'CLOUD_TRAIL_ENABLED',
    name: 'cloudtrail-enabled',
    description: 'The account has a CloudTrail trail (AuditTrail)',
  },
  CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED: {
    identifier: 'CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED',
    name: 'cloud-trail-log-file-validation-enabled',
    description: 'CloudTrail trails write signed digest files',
    remediation: {
      document: 'AWSConfigRemediation-EnableCloudTrailLogFileValidation',
      resourceParameter: 'TrailName',
      grants: [{ actions: ['cloudtrail:GetTrail', 'cloudtrail:UpdateTrail'], resource: anyTrail }],
    },
  },
  CLOUD_TRAIL_ENCRYPTION_ENABLED: {
    identifier: 'CLOUD_TRAIL_ENCRYPTION_ENABLED',
    name: 'cloud-trail-encryption-enabled',
    description: 'CloudTrail trails encrypt log files with a KMS key',
  },
  CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED: {
    identifier: 'CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED',
    name: 'cloud-trail-cloud-watch-logs-enabled',
    description: 'CloudTrail trails deliver to CloudWatch Logs',
  },
  INCOMING_SSH_DISABLED: {
    identifier: 'INCOMING_SSH_DISABLED',
    name: 'restricted-ssh',
    description: 'Security groups do not allow SSH (port 22) from 0.0.0.0/0 or ::/0',
    remediation: {
      document: 'AWS-DisableIncomingSSHOnPort22',
      resourceParameter: 'SecurityGroupIds',
      grants: [
        { actions: ['ec2:RevokeSecurityGroupIngress'], resource: anySecurityGroup },
        { actions: ['ec2:DescribeSecurityGroups'], resource: noResourceLevel },
      ],
    },
  },
  VPC_DEFAULT_SECURITY_GROUP_CLOSED: {
    identifier: 'VPC_DEFAULT_SECURITY_GROUP_CLOSED',
    name: 'vpc-default-security-group-closed',
    description: 'Default security groups of VPCs have no rules',
    remediation: {
      document: 'AWSConfigRemediation-RemoveVPCDefaultSecurityGroupRules',
      resourceParameter: 'GroupId',
      grants: [
        { actions: ['ec2:RevokeSecurityGroupIngress', 'ec2:RevokeSecurityGroupEgress'], resource: anySecurityGroup },
        { actions: ['ec2:DescribeSecurityGroups'], resource: noResourceLevel },
      ],
    },
  },
  VPC_FLOW_LOGS_ENABLED: {
    identifier: 'VPC_FLOW_LOGS_ENABLED',
    name: 'vpc-flow-logs-enabled',
    description: 'VPCs have flow logs',
  },
  API_GW_EXECUTION_LOGGING_ENABLED: {
    identifier: 'API_GW_EXECUTION_LOGGING_ENABLED',
    name: 'api-gw-execution-logging-enabled',
    description: 'API Gateway stages write execution logs (ERROR or INFO)',
  },
  API_GW_XRAY_ENABLED: {
    identifier: 'API_GW_XRAY_ENABLED',
    name: 'api-gw-xray-enabled',
    description: 'API Gateway stages have X-Ray tracing on',
  },
  CLOUDWATCH_LOG_GROUP_ENCRYPTED: {
    identifier: 'CLOUDWATCH_LOG_GROUP_ENCRYPTED',
    name: 'cloudwatch-log-group-encrypted',
    description: 'CloudWatch log groups are encrypted with a KMS key',
  },
  SNS_ENCRYPTED_KMS: {
    identifier: 'SNS_ENCRYPTED_KMS',
    name: 'sns-encrypted-kms',
    description: 'SNS topics are encrypted with a KMS key',
  },
};

/** `arn:<partition>:service:region:account:...` rendered the way cdk-nag prints it in finding ids. */
export function nagResourceId(stack: Stack, arn: string): string {
  return stack.resolve(arn) === '*' ? '*' : renderForNag(stack.resolve(arn));
}

function renderForNag(resolved: unknown): string {
  if (typeof resolved === 'string') return resolved;
  if (resolved && typeof resolved === 'object') {
    const obj = resolved as Record<string, unknown>;
    if ('Ref' in obj) return `<${obj.Ref}>`;
    if ('Fn::Join' in obj) {
      const [sep, parts] = obj['Fn::Join'] as [string, unknown[]];
      return parts.map(renderForNag).join(sep);
    }
  }
  return JSON.stringify(resolved);
}
