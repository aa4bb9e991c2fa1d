import { Duration, Stack, Token, aws_iam as iam, aws_kms as kms } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { allowCloudWatchAlarms, allowCloudWatchLogs, limitGrantsToAwsServices } from '../core/key-policies';
import { stackRelativeName } from '../core/names';
import { PropsValidator } from '../core/validation';
import { EnvironmentConfig } from '../governance/environment-config';

/** What a key of EncryptionKeys protects; each purpose gets its own key and alias. */
export enum KeyPurpose {
  /** Databases and tables (SecureTable). */
  DATA = 'data',
  /** Object storage (SecureBucket); S3 may use it for inventory and report exports of this account. */
  STORAGE = 'storage',
  /** CloudWatch Logs log groups of this account and region. */
  LOGS = 'logs',
  /** Lambda environment variables (EnhancedLambdaFunction). */
  LAMBDA = 'lambda',
  /** AWS Backup vaults. */
  BACKUP = 'backup',
  /** SNS topics, SQS queues and EventBridge targets. */
  MESSAGING = 'messaging',
}

const ALL_PURPOSES = [KeyPurpose.DATA, KeyPurpose.STORAGE, KeyPurpose.LOGS, KeyPurpose.LAMBDA, KeyPurpose.BACKUP, KeyPurpose.MESSAGING];

// Explicit actions (no kms:GenerateDataKey* or kms:ReEncrypt*) keep grantees' policies free of wildcards.
const ENCRYPT_DECRYPT_ACTIONS = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'];

/** Properties of EncryptionKeys. */
export interface EncryptionKeysProps {
  /**
   * The purposes to create keys for (no duplicates).
   * @default - all six: data, storage, logs, lambda, backup, messaging
   */
  readonly purposes?: KeyPurpose[];
  /**
   * Alias prefix; each key is aliased `<aliasPrefix>/<purpose>`, e.g. `alias/cloudvault/prod/data`.
   * Must start with `alias/` (not `alias/aws/`, which AWS reserves) and use letters, digits, "/", "_", "-" or ":".
   * @default - `alias/<stack name>/<construct path in the stack>`
   */
  readonly aliasPrefix?: string;
  /**
   * Days between automatic rotations of the key material (90-2560). Rotation is always on.
   * @default 365
   */
  readonly rotationPeriodDays?: number;
  /**
   * Days a key waits before it is deleted after leaving the stack (7-30), time to notice and cancel.
   * @default 30, or 7 when the EnvironmentConfig's removal policy destroys
   */
  readonly pendingWindowDays?: number;
}

/**
 * One customer-managed KMS key per purpose (data, storage, logs, Lambda environment, backup,
 * messaging) with rotation on, an alias each, the EnvironmentConfig's removal policy, and key
 * policies that let AWS services use a key only for this account: CloudWatch Logs for this
 * account's log groups (encryption context), SNS, EventBridge, CloudWatch and S3 publishing to
 * encrypted topics and queues (source account), AWS Backup and S3 only through their service.
 * The foundation constructs accept these keys: `new SecureTable(this, 'T', { encryptionKey: keys.data, ... })`.
 */
export class EncryptionKeys extends Construct {
  /** Key for databases and tables, if created. */
  public readonly data?: kms.Key;
  /** Key for object storage, if created. */
  public readonly storage?: kms.Key;
  /** Key for CloudWatch Logs log groups, if created. */
  public readonly logs?: kms.Key;
  /** Key for Lambda environment variables, if created. */
  public readonly lambdaEnvironment?: kms.Key;
  /** Key for AWS Backup vaults, if created. */
  public readonly backup?: kms.Key;
  /** Key for SNS topics, SQS queues and events, if created. */
  public readonly messaging?: kms.Key;
  /** The alias prefix in use. */
  public readonly aliasPrefix: string;

  private readonly keys = new Map<KeyPurpose, kms.Key>();
  private readonly aliases = new Map<KeyPurpose, kms.Alias>();

  constructor(scope: Construct, id: string, props: EncryptionKeysProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    this.aliasPrefix = props.aliasPrefix ?? defaultAliasPrefix(this);
    validate(this, props, this.aliasPrefix);
    const profile = EnvironmentConfig.of(this);

    for (const purpose of props.purposes ?? ALL_PURPOSES) {
      const key = new kms.Key(this, capitalize(purpose), {
        description: `${DESCRIPTIONS[purpose]} (${this.node.path}, cloudvault-constructs)`,
        enableKeyRotation: true,
        rotationPeriod: props.rotationPeriodDays !== undefined ? Duration.days(props.rotationPeriodDays) : undefined,
        pendingWindow: Duration.days(props.pendingWindowDays ?? (profile.removalPolicyDestroys ? 7 : 30)),
        removalPolicy: profile.removalPolicy,
      });
      limitGrantsToAwsServices(key);
      this.aliases.set(purpose, key.addAlias(`${this.aliasPrefix}/${purpose}`));
      this.keys.set(purpose, key);
      allowServices(purpose, key, stack);
    }
    this.data = this.keys.get(KeyPurpose.DATA);
    this.storage = this.keys.get(KeyPurpose.STORAGE);
    this.logs = this.keys.get(KeyPurpose.LOGS);
    this.lambdaEnvironment = this.keys.get(KeyPurpose.LAMBDA);
    this.backup = this.keys.get(KeyPurpose.BACKUP);
    this.messaging = this.keys.get(KeyPurpose.MESSAGING);
  }

  /** The purposes this construct created keys for. */
  public get purposes(): KeyPurpose[] {
    return [...this.keys.keys()];
  }

  /** The key of `purpose`; throws when that purpose was not created. */
  public keyFor(purpose: KeyPurpose): kms.Key {
    const key = this.keys.get(purpose);
    new PropsValidator('EncryptionKeys', this).check(key !== undefined, 'keyFor purpose', purpose,
      `one of the created purposes (${this.purposes.join(', ')})`);
    return key!;
  }

  /** The alias of the key of `purpose`. */
  public aliasFor(purpose: KeyPurpose): kms.Alias {
    this.keyFor(purpose);
    return this.aliases.get(purpose)!;
  }

  /**
   * Lets `grantee` encrypt, decrypt and generate data keys with the key of `purpose`
   * (kms:Encrypt, kms:Decrypt, kms:GenerateDataKey; no wildcard actions).
   */
  public grantEncryptDecrypt(purpose: KeyPurpose, grantee: iam.IGrantable): iam.Grant {
    return this.keyFor(purpose).grant(grantee, ...ENCRYPT_DECRYPT_ACTIONS);
  }

  /** Lets `grantee` decrypt with the key of `purpose` (kms:Decrypt only). */
  public grantDecrypt(purpose: KeyPurpose, grantee: iam.IGrantable): iam.Grant {
    return this.keyFor(purpose).grant(grantee, 'kms:Decrypt');
  }
}

const DESCRIPTIONS: Record<KeyPurpose, string> = {
  [KeyPurpose.DATA]: 'Encrypts databases and tables',
  [KeyPurpose.STORAGE]: 'Encrypts object storage',
  [KeyPurpose.LOGS]: 'Encrypts CloudWatch Logs log groups',
  [KeyPurpose.LAMBDA]: 'Encrypts Lambda environment variables',
  [KeyPurpose.BACKUP]: 'Encrypts AWS Backup vaults',
  [KeyPurpose.MESSAGING]: 'Encrypts SNS topics, SQS queues and events',
};

/** The key-policy statements a purpose needs so that AWS services can use its key for this account only. */
function allowServices(purpose: KeyPurpose, key: kms.Key, stack: Stack): void {
  const sourceAccount = { 'aws:SourceAccount': stack.account };
  switch (purpose) {
    case KeyPurpose.LOGS:
      allowCloudWatchLogs(key);
      break;
    case KeyPurpose.STORAGE:
      // S3 writes inventory, analytics and batch-operation reports into SSE-KMS buckets as itself.
      key.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'AllowS3ReportsForThisAccount',
        principals: [new iam.ServicePrincipal('s3.amazonaws.com')],
        actions: ['kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: sourceAccount },
      }));
      break;
    case KeyPurpose.BACKUP:
      // AWS Backup works with the caller's or its service role's identity and hands the key to
      // the copy jobs through grants, so the key is usable only through Backup, by this account.
      key.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'AllowUseThroughAwsBackup',
        principals: [new iam.AccountPrincipal(stack.account)],
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: { StringEquals: viaService(stack, 'backup') },
      }));
      key.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'AllowGrantsForAwsBackup',
        principals: [new iam.AccountPrincipal(stack.account)],
        actions: ['kms:CreateGrant', 'kms:RetireGrant'],
        resources: ['*'],
        conditions: { StringEquals: viaService(stack, 'backup'), Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }));
      break;
    case KeyPurpose.MESSAGING:
      // Services that publish to encrypted topics and queues do so as themselves: SNS (to SQS
      // subscriptions), EventBridge (rule targets), S3 (event notifications), CloudWatch (alarms).
      key.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'AllowAwsServicesToPublishForThisAccount',
        principals: ['sns', 'events', 's3'].map((s) => new iam.ServicePrincipal(`${s}.amazonaws.com`)),
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: sourceAccount },
      }));
      allowCloudWatchAlarms(key);
      // Producers and consumers of this account use the key through SNS and SQS only (the model of
      // the AWS managed aws/sns and aws/sqs keys); their IAM policies still decide which topics and queues.
      key.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'AllowUseThroughSnsAndSqs',
        principals: [new iam.AccountPrincipal(stack.account)],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: {
          StringEquals: {
            'kms:CallerAccount': stack.account,
            'kms:ViaService': [`sns.${stack.region}.amazonaws.com`, `sqs.${stack.region}.amazonaws.com`],
          },
        },
      }));
      break;
    default:
      // DATA and LAMBDA: DynamoDB and Lambda use the key with the caller's identity through grants;
      // the default key policy (IAM policies of this account decide) is all they need.
      break;
  }
}

function viaService(stack: Stack, service: string): Record<string, string> {
  return { 'kms:ViaService': `${service}.${stack.region}.amazonaws.com`, 'kms:CallerAccount': stack.account };
}

function defaultAliasPrefix(scope: Construct): string {
  const stack = Stack.of(scope);
  const stackName = Token.isUnresolved(stack.stackName) ? 'stack' : stack.stackName;
  return `alias/${stackName}/${stackRelativeName(scope, 128, '/')}`.replace(/[^A-Za-z0-9:/_-]/g, '');
}

function capitalize(purpose: KeyPurpose): string {
  return purpose.charAt(0).toUpperCase() + purpose.slice(1);
}

function validate(construct: IConstruct, props: EncryptionKeysProps, aliasPrefix: string): void {
  const v = new PropsValidator('EncryptionKeys', construct);
  if (props.purposes !== undefined) {
    const known = new Set<string>(ALL_PURPOSES);
    v.check(props.purposes.length > 0 && new Set(props.purposes).size === props.purposes.length && props.purposes.every((p) => known.has(p)),
      'purposes', props.purposes, `a non-empty list of distinct purposes out of ${ALL_PURPOSES.join(', ')}`);
  }
  v.range('rotationPeriodDays', props.rotationPeriodDays, 90, 2560);
  v.range('pendingWindowDays', props.pendingWindowDays, 7, 30);
  if (props.aliasPrefix !== undefined && !Token.isUnresolved(props.aliasPrefix)) {
    const prop = 'aliasPrefix';
    v.check(aliasPrefix.startsWith('alias/') && aliasPrefix.length > 'alias/'.length, prop, aliasPrefix, 'a name starting with "alias/"');
    v.check(!aliasPrefix.startsWith('alias/aws/') && aliasPrefix !== 'alias/aws', prop, aliasPrefix, 'outside "alias/aws/", which AWS reserves for AWS managed keys');
    v.check(/^[A-Za-z0-9:/_-]+$/.test(aliasPrefix), prop, aliasPrefix, 'made of letters, digits, "/", "_", "-" or ":"');
    v.check(!aliasPrefix.endsWith('/') && !aliasPrefix.includes('//'), prop, aliasPrefix, 'free of a trailing "/" and of "//" (the purpose is appended as "/<purpose>")');
    // Alias names are at most 256 characters; "/messaging" is the longest suffix.
    v.check(aliasPrefix.length <= 246, prop, aliasPrefix, 'at most 246 characters (aliases are at most 256 with "/<purpose>")');
  }
}
