import {
  Annotations,
  Duration,
  Stack,
  aws_config as config,
  aws_iam as iam,
  aws_kms as kms,
  aws_sns as sns,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { RULE_CATALOG, RemediationGrant, nagResourceId } from './compliance-rule-catalog';
import { ManagedPolicyRole } from '../compute/managed-policy-role';
import { acknowledge } from '../core/acknowledge';
import { uniqueName } from '../core/names';
import { PropsValidator } from '../core/validation';
import { defaultKey } from '../governance/default-key';
import { SecureBucket } from '../storage/secure-bucket';

/**
 * AWS Config managed rules that check what the library's constructs set by default. Each
 * value names the managed rule identifier it deploys.
 */
export enum ComplianceRule {
  /** S3 buckets have default encryption. Remediation: AWS-EnableS3BucketEncryption (SSE-S3 floor). */
  S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED = 'S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED',
  /** S3 buckets allow no public read. Remediation: AWS-DisableS3BucketPublicReadWrite. */
  S3_BUCKET_PUBLIC_READ_PROHIBITED = 'S3_BUCKET_PUBLIC_READ_PROHIBITED',
  /** S3 buckets allow no public write. Remediation: AWS-DisableS3BucketPublicReadWrite. */
  S3_BUCKET_PUBLIC_WRITE_PROHIBITED = 'S3_BUCKET_PUBLIC_WRITE_PROHIBITED',
  /** S3 buckets block all public access. Remediation: AWSConfigRemediation-ConfigureS3BucketPublicAccessBlock. */
  S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED = 'S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED',
  /** S3 bucket policies deny plain HTTP. Remediation: AWSConfigRemediation-RestrictBucketSSLRequestsOnly. */
  S3_BUCKET_SSL_REQUESTS_ONLY = 'S3_BUCKET_SSL_REQUESTS_ONLY',
  /** S3 buckets are versioned. Remediation: AWS-ConfigureS3BucketVersioning. */
  S3_BUCKET_VERSIONING_ENABLED = 'S3_BUCKET_VERSIONING_ENABLED',
  /** DynamoDB tables have point-in-time recovery. Remediation: AWSConfigRemediation-EnablePITRForDynamoDbTable. */
  DYNAMODB_PITR_ENABLED = 'DYNAMODB_PITR_ENABLED',
  /** DynamoDB tables are encrypted with a KMS key. */
  DYNAMODB_TABLE_ENCRYPTED_KMS = 'DYNAMODB_TABLE_ENCRYPTED_KMS',
  /** Lambda functions run in a VPC. */
  LAMBDA_INSIDE_VPC = 'LAMBDA_INSIDE_VPC',
  /** Lambda functions have reserved concurrency. */
  LAMBDA_CONCURRENCY_CHECK = 'LAMBDA_CONCURRENCY_CHECK',
  /** Customer-managed KMS keys rotate. Remediation: AWSConfigRemediation-EnableKeyRotation. */
  CMK_BACKING_KEY_ROTATION_ENABLED = 'CMK_BACKING_KEY_ROTATION_ENABLED',
  /** The account has a CloudTrail trail. */
  CLOUD_TRAIL_ENABLED = 'CLOUD_TRAIL_ENABLED',
  /** Trails validate log files. Remediation: AWSConfigRemediation-EnableCloudTrailLogFileValidation. */
  CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED = 'CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED',
  /** Trails encrypt log files with KMS. */
  CLOUD_TRAIL_ENCRYPTION_ENABLED = 'CLOUD_TRAIL_ENCRYPTION_ENABLED',
  /** Trails deliver to CloudWatch Logs. */
  CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED = 'CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED',
  /** No security group allows SSH from anywhere (restricted-ssh). Remediation: AWS-DisableIncomingSSHOnPort22. */
  INCOMING_SSH_DISABLED = 'INCOMING_SSH_DISABLED',
  /** VPC default security groups have no rules. Remediation: AWSConfigRemediation-RemoveVPCDefaultSecurityGroupRules. */
  VPC_DEFAULT_SECURITY_GROUP_CLOSED = 'VPC_DEFAULT_SECURITY_GROUP_CLOSED',
  /** VPCs have flow logs. */
  VPC_FLOW_LOGS_ENABLED = 'VPC_FLOW_LOGS_ENABLED',
  /** API Gateway stages write execution logs. */
  API_GW_EXECUTION_LOGGING_ENABLED = 'API_GW_EXECUTION_LOGGING_ENABLED',
  /** API Gateway stages are traced with X-Ray. */
  API_GW_XRAY_ENABLED = 'API_GW_XRAY_ENABLED',
  /** CloudWatch log groups are KMS-encrypted. */
  CLOUDWATCH_LOG_GROUP_ENCRYPTED = 'CLOUDWATCH_LOG_GROUP_ENCRYPTED',
  /** SNS topics are KMS-encrypted. */
  SNS_ENCRYPTED_KMS = 'SNS_ENCRYPTED_KMS',
}

/** Properties of ComplianceRules. */
export interface ComplianceRulesProps {
  /**
   * Whether to create the AWS Config configuration recorder and delivery channel. An account
   * has at most one recorder per region: set false where one already runs (for example set up
   * by Control Tower, or by another stack), and only the rules and remediations are created.
   * @default true
   */
  readonly createRecorder?: boolean;
  /**
   * Whether to create the AWS Config service-linked role (AWSServiceRoleForConfig) the recorder
   * uses. Most accounts have it (AWS Config, Security Hub or Control Tower created it); creating
   * it again fails, so only set true in an account that has never used AWS Config.
   * Only with `createRecorder`.
   * @default false
   */
  readonly createServiceLinkedRole?: boolean;
  /**
   * Whether the recorder records global resource types (IAM users, roles, policies). Record them
   * in one region only, or each region stores (and bills) them again.
   * @default true
   */
  readonly includeGlobalResourceTypes?: boolean;
  /**
   * Customer-managed key that encrypts the delivery bucket and the configuration history and
   * snapshots AWS Config writes. Only with `createRecorder`.
   * @default - the stack's default customer-managed key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * How often AWS Config delivers a configuration snapshot to the bucket. Only with `createRecorder`.
   * @default MaximumExecutionFrequency.TWENTY_FOUR_HOURS
   */
  readonly snapshotDeliveryFrequency?: config.MaximumExecutionFrequency;
  /**
   * Topic that receives configuration changes and compliance notifications; it must let
   * config.amazonaws.com publish (added to topics of this app) and, when encrypted, use its key
   * (added when it is `encryptionKey`). Only with `createRecorder`.
   * @default - no topic (compliance changes are also EventBridge events)
   */
  readonly deliveryTopic?: sns.ITopic;
  /**
   * The rules to deploy.
   * @default - every ComplianceRule
   */
  readonly rules?: ComplianceRule[];
  /**
   * Rules to leave out of `rules`, e.g. LAMBDA_INSIDE_VPC for an app whose functions do not need a VPC.
   * @default - none
   */
  readonly excludeRules?: ComplianceRule[];
  /**
   * Prefix of the rule names (`<prefix>-<managed rule name>`): 1-64 letters, digits, "_", "." or "-".
   * Rule names are unique per account and region.
   * @default - derived from the construct path
   */
  readonly ruleNamePrefix?: string;
  /**
   * Whether rules that have an AWS-owned remediation runbook get a remediation configuration
   * (run from the console, or automatically with `automaticRemediation`).
   * @default true
   */
  readonly remediationEnabled?: boolean;
  /**
   * Bucket names the S3 remediations may change (encryption, versioning, bucket policy, public
   * access block), as an S3 ARN pattern: e.g. `myapp-prod-*` for the buckets of an app whose stacks
   * are named `MyApp-prod-...` (CloudFormation derives generated bucket names from the stack name).
   * Lower-case letters, digits, ".", "-" and "*".
   * @default '*' - every bucket of the account
   */
  readonly remediationBucketNamePattern?: string;
  /**
   * Whether AWS Config runs the remediations by itself when a resource becomes non-compliant.
   * Off by default: a remediation changes resources outside their CloudFormation stacks (drift),
   * so switching it on is a deliberate choice per account.
   * @default false
   */
  readonly automaticRemediation?: boolean;
  /**
   * Attempts of an automatic remediation before it gives up (1-25).
   * @default 5
   */
  readonly maximumAutomaticAttempts?: number;
  /**
   * Time between automatic remediation attempts (1 second to 30 days).
   * @default Duration.seconds(60)
   */
  readonly retryInterval?: Duration;
}

const SERVICE_LINKED_ROLE = 'aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig';

/**
 * AWS Config for an account and region: the configuration recorder (all supported resource
 * types) and a delivery channel to a SecureBucket encrypted with a customer-managed key
 * (skippable where a recorder exists), managed rules for what the library's constructs set
 * by default, and remediation configurations with AWS-owned SSM runbooks that run under a
 * least-privilege role, manually by default and automatically on request.
 *
 * The recorder uses the AWS Config service-linked role (AWSServiceRoleForConfig), whose
 * permissions AWS maintains for every resource type Config records: no role of this stack
 * needs the AWS managed policy AWS_ConfigRole (AwsSolutions-IAM4), nor a hand-written copy of
 * its hundreds of read actions.
 */
export class ComplianceRules extends Construct {
  /** The rules this construct deployed, in ComplianceRule order. */
  public readonly selectedRules: ComplianceRule[];
  /** The AWS Config rules. */
  public readonly configRules: config.ManagedRule[];
  /** The remediation configurations. */
  public readonly remediations: config.CfnRemediationConfiguration[];
  /** The configuration recorder, with `createRecorder`. */
  public readonly recorder?: config.CfnConfigurationRecorder;
  /** The delivery channel, with `createRecorder`. */
  public readonly deliveryChannel?: config.CfnDeliveryChannel;
  /** The bucket that receives configuration history and snapshots, with `createRecorder`. */
  public readonly bucket?: SecureBucket;
  /** The key that encrypts the delivery bucket and deliveries, with `createRecorder`. */
  public readonly encryptionKey?: kms.IKey;
  /** The role the remediation runbooks run as, when any selected rule has a remediation. */
  public readonly remediationRole?: iam.Role;
  /** The customer-managed policy of `remediationRole`. */
  public readonly remediationPolicy?: iam.ManagedPolicy;
  private readonly rulesById = new Map<ComplianceRule, config.ManagedRule>();

  constructor(scope: Construct, id: string, props: ComplianceRulesProps = {}) {
    super(scope, id);
    this.selectedRules = validate(this, props);
    const createRecorder = props.createRecorder ?? true;

    const dependencies: Construct[] = [];
    if (createRecorder) {
      this.encryptionKey = props.encryptionKey ?? defaultKey(this);
      this.bucket = new SecureBucket(this, 'Bucket', { encryptionKey: this.encryptionKey });
      this.recorder = new config.CfnConfigurationRecorder(this, 'Recorder', {
        roleArn: Stack.of(this).formatArn({ service: 'iam', region: '', resource: 'role', resourceName: SERVICE_LINKED_ROLE }),
        recordingGroup: { allSupported: true, includeGlobalResourceTypes: props.includeGlobalResourceTypes ?? true },
      });
      if (props.createServiceLinkedRole) {
        const slr = new iam.CfnServiceLinkedRole(this, 'ServiceLinkedRole', { awsServiceName: 'config.amazonaws.com' });
        this.recorder.node.addDependency(slr);
      }
      this.deliveryChannel = this.createDeliveryChannel(this.bucket, this.encryptionKey, props);
      dependencies.push(this.recorder, this.deliveryChannel);
    }

    const prefix = props.ruleNamePrefix ?? uniqueName(this, 64);
    this.configRules = this.selectedRules.map((rule) => {
      const spec = RULE_CATALOG[rule];
      const managed = new config.ManagedRule(this, pascalCase(rule), {
        identifier: spec.identifier,
        configRuleName: `${prefix}-${spec.name}`,
        description: spec.description,
        inputParameters: spec.inputParameters,
      });
      // A rule can only be created once the region has a recorder.
      if (dependencies.length > 0) managed.node.addDependency(...dependencies);
      this.rulesById.set(rule, managed);
      return managed;
    });

    const remediable = this.selectedRules.filter((r) => RULE_CATALOG[r].remediation);
    this.remediations = [];
    if ((props.remediationEnabled ?? true) && remediable.length > 0) {
      const role = this.createRemediationRole(remediable, props.remediationBucketNamePattern);
      this.remediationRole = role;
      this.remediationPolicy = role.policy;
      for (const rule of remediable) {
        this.remediations.push(this.createRemediation(rule, role, props));
      }
    }
  }

  /** The Config rule deployed for `rule`, or undefined when it was not selected. */
  public ruleFor(rule: ComplianceRule): config.ManagedRule | undefined {
    return this.rulesById.get(rule);
  }

  private createDeliveryChannel(bucket: SecureBucket, key: kms.IKey, props: ComplianceRulesProps): config.CfnDeliveryChannel {
    const stack = Stack.of(this);
    const principal = new iam.ServicePrincipal('config.amazonaws.com');
    const thisAccount = { 'aws:SourceAccount': stack.account };
    // The bucket policy AWS Config's documentation asks for, limited to this account's deliveries.
    bucket.bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AWSConfigBucketPermissionsCheck',
      principals: [principal],
      actions: ['s3:GetBucketAcl', 's3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringEquals: thisAccount },
    }));
    bucket.bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AWSConfigBucketDelivery',
      principals: [principal],
      actions: ['s3:PutObject'],
      resources: [bucket.bucket.arnForObjects(`AWSLogs/${stack.account}/Config/*`)],
      conditions: { StringEquals: { ...thisAccount, 's3:x-amz-acl': 'bucket-owner-full-control' } },
    }));
    const keyAdded = key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowConfigDelivery',
      principals: [principal],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
      conditions: { StringEquals: thisAccount },
    })).statementAdded;
    if (!keyAdded) {
      Annotations.of(this).addWarningV2('cloudvault:complianceKeyPolicy',
        'The policy of the imported key must let config.amazonaws.com use kms:Decrypt and kms:GenerateDataKey');
    }
    if (props.deliveryTopic) {
      // The service-linked role cannot publish: the topic policy admits AWS Config for this account.
      const topicAdded = props.deliveryTopic.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'AWSConfigSNSPolicy',
        principals: [principal],
        actions: ['sns:Publish'],
        resources: [props.deliveryTopic.topicArn],
        conditions: { StringEquals: thisAccount },
      })).statementAdded;
      if (!topicAdded) {
        Annotations.of(this).addWarningV2('cloudvault:complianceTopicPolicy',
          'The policy of the imported delivery topic must let config.amazonaws.com sns:Publish');
      }
    }
    const channel = new config.CfnDeliveryChannel(this, 'DeliveryChannel', {
      s3BucketName: bucket.bucketName,
      s3KmsKeyArn: key.keyArn,
      snsTopicArn: props.deliveryTopic?.topicArn,
      configSnapshotDeliveryProperties: {
        deliveryFrequency: props.snapshotDeliveryFrequency ?? config.MaximumExecutionFrequency.TWENTY_FOUR_HOURS,
      },
    });
    // AWS Config checks the recorder and its access to the bucket when the channel is created.
    channel.node.addDependency(this.recorder!, bucket.bucket.policy!);
    return channel;
  }

  /**
   * One role for every runbook, with exactly the actions the selected runbooks call. Their
   * targets are whatever resource AWS Config finds non-compliant, so resources are every
   * resource of the type in this account and region (S3 bucket ARNs carry neither, so the S3
   * statement is limited with aws:ResourceAccount); ec2:DescribeSecurityGroups has no
   * resource-level permissions. ssm:StartAutomationExecution and ssm:GetAutomationExecution,
   * listed by some runbook pages, are left out: these runbooks start no nested automations.
   */
  private createRemediationRole(rules: ComplianceRule[], bucketNamePattern: string | undefined): ManagedPolicyRole {
    const stack = Stack.of(this);
    // S3 grants (the only ones limited by aws:ResourceAccount) narrowed to the given bucket names.
    const resourceOf = (grant: RemediationGrant) => (grant.accountCondition && bucketNamePattern !== undefined
      ? stack.formatArn({ service: 's3', region: '', account: '', resource: bucketNamePattern })
      : grant.resource(stack));
    const role = new ManagedPolicyRole(this, 'RemediationRole', {
      assumedBy: new iam.ServicePrincipal('ssm.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'ssm', resource: 'automation-execution', resourceName: '*' }) },
        },
      }),
      description: `AWS Config remediation runbooks of ${this.node.path}`,
    });
    const grouped = new Map<string, { grant: RemediationGrant; actions: Set<string> }>();
    for (const rule of rules) {
      for (const grant of RULE_CATALOG[rule].remediation!.grants) {
        const key = nagResourceId(stack, resourceOf(grant));
        const entry = grouped.get(key) ?? { grant, actions: new Set<string>() };
        grant.actions.forEach((a) => entry.actions.add(a));
        grouped.set(key, entry);
      }
    }
    for (const [resourceId, { grant, actions }] of grouped) {
      const service = [...actions][0].split(':')[0];
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: `${resourceId === '*' ? 'Describe' : 'Remediate'}${service.charAt(0).toUpperCase()}${service.slice(1)}`,
        actions: [...actions].sort(),
        resources: [resourceOf(grant)],
        conditions: grant.accountCondition ? { StringEquals: { 'aws:ResourceAccount': stack.account } } : undefined,
      }));
    }
    acknowledge(role.policy, [...grouped.keys()].map((r) => `AwsSolutions-IAM5[Resource::${r}]`),
      'Remediation runbooks act on whichever resource AWS Config finds non-compliant, which is not known at synth time: ' +
      'each statement names one resource type in this account and region (S3 buckets: aws:ResourceAccount) with only ' +
      'the actions the AWS-owned runbooks call; ec2:DescribeSecurityGroups has no resource-level permissions.');
    return role;
  }

  private createRemediation(rule: ComplianceRule, role: ManagedPolicyRole, props: ComplianceRulesProps): config.CfnRemediationConfiguration {
    const spec = RULE_CATALOG[rule].remediation!;
    const parameters: Record<string, unknown> = {
      AutomationAssumeRole: { StaticValue: { Values: [role.roleArn] } },
      [spec.resourceParameter]: { ResourceValue: { Value: 'RESOURCE_ID' } },
    };
    for (const [name, value] of Object.entries(spec.staticParameters ?? {})) {
      parameters[name] = { StaticValue: { Values: [value] } };
    }
    const remediation = new config.CfnRemediationConfiguration(this, `${pascalCase(rule)}Remediation`, {
      configRuleName: this.rulesById.get(rule)!.configRuleName,
      targetType: 'SSM_DOCUMENT',
      targetId: spec.document,
      parameters,
      automatic: props.automaticRemediation ?? false,
      maximumAutomaticAttempts: props.maximumAutomaticAttempts ?? 5,
      retryAttemptSeconds: (props.retryInterval ?? Duration.seconds(60)).toSeconds(),
    });
    // The runbook assumes the role as soon as it runs: its permissions must be attached first.
    remediation.node.addDependency(role.policy);
    return remediation;
  }
}

function validate(construct: IConstruct, props: ComplianceRulesProps): ComplianceRule[] {
  const v = new PropsValidator('ComplianceRules', construct);
  const known = Object.values(ComplianceRule) as string[];
  const rules = props.rules ?? (known as ComplianceRule[]);
  const excluded = props.excludeRules ?? [];
  for (const [prop, values] of [['rules', rules], ['excludeRules', excluded]] as const) {
    const unknown = values.filter((r) => !known.includes(r));
    v.check(unknown.length === 0, prop, unknown, `ComplianceRule values (${known.length} rules, e.g. ${known[0]})`);
  }
  const duplicates = rules.filter((r, i) => rules.indexOf(r) !== i);
  v.check(duplicates.length === 0, 'rules', duplicates, 'free of duplicates');
  const notSelected = excluded.filter((r) => !rules.includes(r));
  v.check(notSelected.length === 0, 'excludeRules', notSelected, 'rules that are selected (in rules, or any ComplianceRule by default)');
  const selected = rules.filter((r) => !excluded.includes(r));
  v.check(selected.length > 0, 'excludeRules', excluded, 'leaving at least one rule');

  const createRecorder = props.createRecorder ?? true;
  for (const [name, value] of Object.entries({
    encryptionKey: props.encryptionKey,
    createServiceLinkedRole: props.createServiceLinkedRole,
    deliveryTopic: props.deliveryTopic,
    snapshotDeliveryFrequency: props.snapshotDeliveryFrequency,
    includeGlobalResourceTypes: props.includeGlobalResourceTypes,
  })) {
    v.check(createRecorder || value === undefined, name, Construct.isConstruct(value) ? value.node.path : value,
      'unset when createRecorder is false (it configures the recorder and delivery channel this construct would create)');
  }
  const frequencies = Object.values(config.MaximumExecutionFrequency) as string[];
  v.check(props.snapshotDeliveryFrequency === undefined || frequencies.includes(props.snapshotDeliveryFrequency),
    'snapshotDeliveryFrequency', props.snapshotDeliveryFrequency, `one of ${frequencies.join(', ')}`);
  v.matches('remediationBucketNamePattern', props.remediationBucketNamePattern, /^[a-z0-9.*-]{1,63}$/, '1-63 lower-case letters, digits, ".", "-" or "*"');
  v.matches('ruleNamePrefix', props.ruleNamePrefix, /^[A-Za-z0-9_.-]{1,64}$/, '1-64 letters, digits, "_", "." or "-"');
  v.check(props.automaticRemediation !== true || props.remediationEnabled !== false, 'automaticRemediation', props.automaticRemediation,
    'false when remediationEnabled is false');
  v.range('maximumAutomaticAttempts', props.maximumAutomaticAttempts, 1, 25);
  const retry = props.retryInterval;
  if (retry && !retry.isUnresolved()) {
    // RetryAttemptSeconds is an integer; Duration.toSeconds() throws on fractions with a generic message.
    v.check(retry.toMilliseconds() % 1000 === 0, 'retryInterval', retry.toString(), 'a whole number of seconds');
  }
  v.durationRange('retryInterval', retry, 1, 30 * 24 * 3600);
  // Selected rules in enum order: stable construct ids and template order.
  return (known as ComplianceRule[]).filter((r) => selected.includes(r));
}

/** `S3_BUCKET_VERSIONING_ENABLED` -> `S3BucketVersioningEnabled` (construct ids). */
function pascalCase(rule: string): string {
  return rule.toLowerCase().split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}
