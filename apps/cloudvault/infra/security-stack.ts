import { Stack, StackProps, Stage, aws_iam as iam } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AlarmSet, AuditTrail, ComplianceRules, EncryptionKeys, ThreatDetection, WebFirewall } from '../../../src';

/** Properties of the CloudVault security stack. */
export interface CloudVaultSecurityStackProps extends StackProps {
  /** E-mail address subscribed to the alarm topic (and to security findings). */
  readonly alarmEmail?: string;
  /** Whether to create the GuardDuty detector (false when the account already has one). */
  readonly createDetector?: boolean;
  /** Whether to enable Security Hub (false when the account already has it). */
  readonly createSecurityHub?: boolean;
  /** Whether to create the AWS Config recorder (false when the account already has one). */
  readonly createRecorder?: boolean;
}

/**
 * Account-level guardrails and the app's keys: deployed first, changed rarely. It also owns the
 * one alarm topic every CloudVault stack's AlarmSet notifies.
 */
export class CloudVaultSecurityStack extends Stack {
  public readonly keys: EncryptionKeys;
  public readonly alarms: AlarmSet;
  public readonly firewall: WebFirewall;
  public readonly threatDetection: ThreatDetection;
  public readonly auditTrail: AuditTrail;
  public readonly complianceRules: ComplianceRules;

  constructor(scope: Construct, id: string, props: CloudVaultSecurityStackProps = {}) {
    super(scope, id, props);
    this.keys = new EncryptionKeys(this, 'Keys');
    this.alarms = new AlarmSet(this, 'Alarms', { alarmSetName: this.stackName });
    this.firewall = new WebFirewall(this, 'Firewall', {
      alarms: this.alarms,
      // The public share route verifies passwords: 100 requests per IP in 5 minutes there (the
      // handler also locks a link after 10 wrong ones). WAF sees the path with the stage ("v1").
      pathRateLimits: [{ pathPrefix: '/v1/api/shares/', limit: 100 }],
      // Completing a multipart upload lists every part (about 65 bytes each): 640 parts of a 5 GiB
      // file need about 42 KB, which WAF's default 8 KB limit blocked. The handlers refuse JSON
      // bodies over 64 KiB themselves (MAX_BODY_BYTES), so the firewall allows the same.
      maxBodySizeBytes: 65_536,
    });
    this.threatDetection = new ThreatDetection(this, 'ThreatDetection', {
      createDetector: props.createDetector,
      createSecurityHub: props.createSecurityHub,
      // Findings share the alarm topic; ThreatDetection subscribes the e-mail with a dead-letter queue.
      topic: this.alarms.topic,
      notificationEmails: props.alarmEmail ? [props.alarmEmail] : undefined,
      alarms: this.alarms,
    });
    // Budget notifications (cost stack) go to the same topic: AWS Budgets must be able to use its key.
    this.alarms.topic.masterKey?.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowBudgetsToPublish',
      principals: [new iam.ServicePrincipal('budgets.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
    }));
    this.auditTrail = new AuditTrail(this, 'AuditTrail', { alarms: this.alarms });
    this.complianceRules = new ComplianceRules(this, 'ComplianceRules', {
      createRecorder: props.createRecorder,
      // The S3 runbooks (bucket policy, public access block, encryption, versioning) may change only
      // this stage's buckets: CloudFormation names them after their stacks, "<stage>-<stack>-...".
      remediationBucketNamePattern: `${(Stage.of(this)?.stageName ?? this.stackName).toLowerCase()}-*`,
    });
  }
}
