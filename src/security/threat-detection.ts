import {
  Duration,
  Stack,
  Token,
  aws_events as events,
  aws_events_targets as targets,
  aws_guardduty as guardduty,
  aws_iam as iam,
  aws_kms as kms,
  aws_securityhub as securityhub,
  aws_sns as sns,
  aws_sns_subscriptions as subscriptions,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { acknowledge, controlTowerRule } from '../core/acknowledge';
import { allowServiceToDeliver } from '../core/key-policies';
import { stackRelativeName } from '../core/names';
import { PropsValidator } from '../core/validation';
import { defaultKey } from '../governance/default-key';
import { EnvironmentConfig } from '../governance/environment-config';
import { AlarmSet } from '../monitoring/alarm-set';
import { alarmSetFor } from '../monitoring/alarm-set-for';

/** How often GuardDuty publishes updates of findings it already reported. */
export enum FindingPublishingFrequency {
  /** Every 15 minutes. */
  FIFTEEN_MINUTES = 'FIFTEEN_MINUTES',
  /** Every hour. */
  ONE_HOUR = 'ONE_HOUR',
  /** Every 6 hours (GuardDuty's own default). */
  SIX_HOURS = 'SIX_HOURS',
}

/** Version of the CIS AWS Foundations Benchmark standard in Security Hub. */
export enum CisBenchmarkVersion {
  /** v1.4.0. */
  V1_4_0 = '1.4.0',
  /** v3.0.0. */
  V3_0_0 = '3.0.0',
  /** v5.0.0 (newest; check that Security Hub offers it in your regions). */
  V5_0_0 = '5.0.0',
}

/** Properties of a ThreatDetection. */
export interface ThreatDetectionProps {
  /**
   * Whether to create the GuardDuty detector. A region of an account has at most one: set
   * false where one exists already (enabled by hand, or by an organization's delegated
   * administrator); findings are still routed to the topic.
   * @default true
   */
  readonly createDetector?: boolean;
  /**
   * S3 protection: GuardDuty analyses S3 data events (S3_DATA_EVENTS).
   * @default true
   */
  readonly s3Protection?: boolean;
  /**
   * Lambda protection: GuardDuty analyses the network activity of functions (LAMBDA_NETWORK_LOGS).
   * @default true
   */
  readonly lambdaProtection?: boolean;
  /**
   * Runtime Monitoring of EC2, ECS Fargate and EKS workloads with GuardDuty-managed agents
   * (RUNTIME_MONITORING with automated agent management). Off by default: serverless
   * workloads have no hosts to monitor, and the managed agents add VPC endpoints to every VPC.
   * @default false
   */
  readonly runtimeMonitoring?: boolean;
  /**
   * EKS protection: analysis of EKS audit logs (EKS_AUDIT_LOGS). Costs nothing without clusters.
   * @default true
   */
  readonly eksProtection?: boolean;
  /**
   * Malware protection: EBS volume scans after findings on EC2 or containers (EBS_MALWARE_PROTECTION).
   * @default true
   */
  readonly malwareProtection?: boolean;
  /**
   * RDS protection: analysis of Aurora login activity (RDS_LOGIN_EVENTS).
   * @default true
   */
  readonly rdsProtection?: boolean;
  /**
   * How often GuardDuty publishes updates of existing findings (new findings are published
   * within minutes regardless).
   * @default FindingPublishingFrequency.FIFTEEN_MINUTES
   */
  readonly findingPublishingFrequency?: FindingPublishingFrequency;
  /**
   * Whether to enable Security Hub and its standards. Security Hub is one per account and
   * region: set false where it is enabled already (the owner then manages the standards);
   * its findings are still routed to the topic. Its controls need AWS Config recording.
   * @default true
   */
  readonly createSecurityHub?: boolean;
  /**
   * Whether the AWS Foundational Security Best Practices standard is enabled.
   * @default true
   */
  readonly foundationalBestPractices?: boolean;
  /**
   * Version of the CIS AWS Foundations Benchmark standard, enabled unless `cisBenchmark` is false.
   * @default CisBenchmarkVersion.V3_0_0
   */
  readonly cisBenchmarkVersion?: CisBenchmarkVersion;
  /**
   * Whether the CIS AWS Foundations Benchmark standard is enabled.
   * @default true
   */
  readonly cisBenchmark?: boolean;
  /**
   * Lowest severity forwarded to the topic, on GuardDuty's scale: 1-3.9 low, 4-6.9 medium,
   * 7-8.9 high, 9-10 critical. GuardDuty findings match on the number; Security Hub findings
   * on the label of the band the number falls in and the bands above.
   * @default 7 (high and critical)
   */
  readonly minimumSeverity?: number;
  /**
   * E-mail addresses subscribed to the findings topic (each confirms by e-mail).
   * @default - no subscriptions
   */
  readonly notificationEmails?: string[];
  /**
   * An existing topic for the findings. The construct adds a statement to its policy letting
   * the two findings rules publish (imported topics need that added by their owner), and an
   * encrypted topic's key must let `events.amazonaws.com` use kms:Decrypt and kms:GenerateDataKey.
   * @default - a new KMS-encrypted, TLS-only topic
   */
  readonly topic?: sns.ITopic;
  /**
   * Key of the topic and the dead-letter queue the construct creates.
   * @default - the stack's default customer-managed key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * AlarmSet for the alarm on findings that could not be delivered.
   * @default - a new AlarmSet named after the construct
   */
  readonly alarms?: AlarmSet;
}

// Security Hub severity labels, in ascending order, with the lowest GuardDuty score of each band.
const SEVERITY_BANDS: Array<[string, number]> = [['LOW', 1], ['MEDIUM', 4], ['HIGH', 7], ['CRITICAL', 9]];

/**
 * Account threat detection for one region: a GuardDuty detector with S3, Lambda, EKS, RDS and
 * malware protection (Runtime Monitoring optional), Security Hub with the AWS Foundational
 * Security Best Practices and CIS AWS Foundations Benchmark standards, and EventBridge rules
 * that send GuardDuty and Security Hub findings at or above a severity to a KMS-encrypted,
 * TLS-only SNS topic. Undeliverable findings land in an encrypted dead-letter queue whose depth
 * is alarmed on.
 *
 * The detector and the hub are account-and-region singletons: deploy one ThreatDetection per
 * account and region, and set `createDetector` / `createSecurityHub` to false where they exist.
 */
export class ThreatDetection extends Construct {
  /** The GuardDuty detector, when created here. */
  public readonly detector?: guardduty.CfnDetector;
  /** The Security Hub, when created here. */
  public readonly hub?: securityhub.CfnHub;
  /** The Security Hub standards enabled here. */
  public readonly standards: securityhub.CfnStandard[] = [];
  /** Topic receiving the findings. */
  public readonly topic: sns.ITopic;
  /** Rule forwarding GuardDuty findings. */
  public readonly guardDutyRule: events.Rule;
  /** Rule forwarding Security Hub findings (except GuardDuty's, which the other rule sends). */
  public readonly securityHubRule: events.Rule;
  /** Findings EventBridge or SNS could not deliver. */
  public readonly deadLetterQueue: sqs.Queue;
  /** Key of the created topic and of the dead-letter queue. */
  public readonly encryptionKey: kms.IKey;
  /** Lowest forwarded severity (GuardDuty scale). */
  public readonly minimumSeverity: number;
  /** The AlarmSet holding the dead-letter alarm. */
  public readonly alarms: AlarmSet;

  constructor(scope: Construct, id: string, props: ThreatDetectionProps = {}) {
    super(scope, id);
    validate(this, props);
    const profile = EnvironmentConfig.of(this);
    const stack = Stack.of(this);
    this.minimumSeverity = props.minimumSeverity ?? 7;
    this.encryptionKey = props.encryptionKey ?? defaultKey(this);
    const emails = props.notificationEmails ?? [];

    if (props.createDetector ?? true) {
      const s3 = props.s3Protection ?? true;
      const eks = props.eksProtection ?? true;
      const malware = props.malwareProtection ?? true;
      // AWS Control Tower (CT.GUARDDUTY.PR.1) reads S3 protection from DataSources, and AWS accepts
      // DataSources or Features, never both. DataSources covers S3, EKS audit logs and malware scans,
      // and GuardDuty turns every feature that is not listed on except Runtime Monitoring: exactly
      // the defaults. Any other choice needs Features, where the rule cannot see S3 protection.
      const defaultsOnly = (props.lambdaProtection ?? true) && (props.rdsProtection ?? true) && !(props.runtimeMonitoring ?? false);
      const feature = (name: string, enabled: boolean, additional: string[] = []) => ({
        name,
        status: enabled ? 'ENABLED' : 'DISABLED',
        additionalConfiguration: enabled && additional.length > 0 ? additional.map((n) => ({ name: n, status: 'ENABLED' })) : undefined,
      });
      this.detector = new guardduty.CfnDetector(this, 'Detector', {
        enable: true,
        findingPublishingFrequency: props.findingPublishingFrequency ?? FindingPublishingFrequency.FIFTEEN_MINUTES,
        dataSources: defaultsOnly ? {
          s3Logs: { enable: s3 },
          kubernetes: { auditLogs: { enable: eks } },
          malwareProtection: { scanEc2InstanceWithFindings: { ebsVolumes: malware } },
        } : undefined,
        // Every feature is listed: GuardDuty turns unlisted ones on by itself.
        features: defaultsOnly ? undefined : [
          feature('S3_DATA_EVENTS', s3),
          feature('LAMBDA_NETWORK_LOGS', props.lambdaProtection ?? true),
          feature('EKS_AUDIT_LOGS', eks),
          feature('EBS_MALWARE_PROTECTION', malware),
          feature('RDS_LOGIN_EVENTS', props.rdsProtection ?? true),
          feature('RUNTIME_MONITORING', props.runtimeMonitoring ?? false,
            ['EKS_ADDON_MANAGEMENT', 'ECS_FARGATE_AGENT_MANAGEMENT', 'EC2_AGENT_MANAGEMENT']),
        ],
      });
      if (!defaultsOnly && s3) {
        acknowledge(this.detector, [controlTowerRule('guardduty_s3_protection_enabled_check')],
          'S3 protection is on, as the S3_DATA_EVENTS feature: turning Lambda or RDS protection off or Runtime Monitoring on needs ' +
          'the Features list, and AWS refuses DataSources (where the rule looks) beside Features in one detector.');
      }
      this.detector.applyRemovalPolicy(profile.removalPolicy);
    }

    if (props.createSecurityHub ?? true) {
      const hub = new securityhub.CfnHub(this, 'Hub', {
        // Standards are chosen below rather than by Security Hub's defaults.
        enableDefaultStandards: false,
        controlFindingGenerator: 'SECURITY_CONTROL',
        autoEnableControls: true,
      });
      hub.applyRemovalPolicy(profile.removalPolicy);
      this.hub = hub;
      const standard = (standardId: string, path: string) => {
        const s = new securityhub.CfnStandard(this, standardId, {
          standardsArn: stack.formatArn({ service: 'securityhub', account: '', resource: 'standards', resourceName: path }),
        });
        s.node.addDependency(hub);
        s.applyRemovalPolicy(profile.removalPolicy);
        this.standards.push(s);
      };
      if (props.foundationalBestPractices ?? true) {
        standard('FoundationalBestPractices', 'aws-foundational-security-best-practices/v/1.0.0');
      }
      if (props.cisBenchmark ?? true) {
        standard('CisBenchmark', `cis-aws-foundations-benchmark/v/${props.cisBenchmarkVersion ?? CisBenchmarkVersion.V3_0_0}`);
      }
    }

    allowServiceToDeliver(this.encryptionKey, 'events', 'AllowEventBridgeToDeliver');
    if (props.topic) {
      this.topic = props.topic;
    } else {
      this.topic = new sns.Topic(this, 'Topic', {
        displayName: 'Security findings',
        masterKey: this.encryptionKey,
        enforceSSL: true,
      });
    }

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      // Marks it a dead-letter queue (AWS Control Tower CT.SQS.PR.1). Not byQueue: its sources are services,
      // or a source queue that references it already (naming that queue here would be a cycle).
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
      removalPolicy: profile.removalPolicy,
    });
    acknowledge(this.deadLetterQueue, ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy'],
      'This queue is the dead-letter queue of the findings rules\' targets and of the e-mail subscriptions; a DLQ of its own would only move the same undelivered findings. Its depth is alarmed on.');
    if (emails.length > 0) allowServiceToDeliver(this.encryptionKey, 'sns', 'AllowSnsToDeadLetter');
    for (const email of emails) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email, { deadLetterQueue: this.deadLetterQueue }));
    }

    // The target gets a reference to the topic, so that it adds no publish permission of its
    // own: CDK's would let events.amazonaws.com publish from any rule, in any account.
    const topicRef = sns.Topic.fromTopicArn(this, 'TopicTarget', this.topic.topicArn);
    const target = new targets.SnsTopic(topicRef, { deadLetterQueue: this.deadLetterQueue });
    this.guardDutyRule = new events.Rule(this, 'GuardDutyFindings', {
      description: `GuardDuty findings of severity ${this.minimumSeverity} or more, to the security findings topic`,
      eventPattern: {
        source: ['aws.guardduty'],
        detailType: ['GuardDuty Finding'],
        detail: { severity: events.Match.greaterThanOrEqual(this.minimumSeverity) },
      },
      targets: [target],
    });
    const labels = severityLabels(this.minimumSeverity);
    this.securityHubRule = new events.Rule(this, 'SecurityHubFindings', {
      description: `New active Security Hub findings labelled ${labels.join(', ')}, to the security findings topic`,
      eventPattern: {
        source: ['aws.securityhub'],
        detailType: ['Security Hub Findings - Imported'],
        detail: {
          findings: {
            Severity: { Label: labels },
            Workflow: { Status: ['NEW'] },
            RecordState: ['ACTIVE'],
            // GuardDuty's findings reach Security Hub too; the GuardDuty rule already sends them.
            ProductName: events.Match.anythingBut('GuardDuty'),
          },
        },
      },
      targets: [target],
    });

    // Only these two rules may publish, so nobody can forge findings through EventBridge.
    this.topic.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowFindingRulesToPublish',
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [this.topic.topicArn],
      conditions: { ArnEquals: { 'aws:SourceArn': [this.guardDutyRule.ruleArn, this.securityHubRule.ruleArn] } },
    }));

    this.alarms = alarmSetFor(this, props.alarms);
    this.alarms.addSqsAlarms(props.alarms ? `${stackRelativeName(this, 64, '')}Undelivered` : 'Undelivered', this.deadLetterQueue, { maxVisibleMessages: 1 });
  }

  /** ID of the detector created here (undefined when `createDetector` is false). */
  public get detectorId(): string | undefined {
    return this.detector?.ref;
  }
}

/** The label of the band `minimum` falls in, and the labels above it. */
function severityLabels(minimum: number): string[] {
  if (Token.isUnresolved(minimum)) return SEVERITY_BANDS.map(([label]) => label);
  let band = 0;
  SEVERITY_BANDS.forEach(([, from], i) => { if (minimum >= from) band = i; });
  return SEVERITY_BANDS.slice(band).map(([label]) => label);
}

function validate(construct: IConstruct, props: ThreatDetectionProps): void {
  const v = new PropsValidator('ThreatDetection', construct);
  v.range('minimumSeverity', props.minimumSeverity, 1, 10, false);
  for (const email of props.notificationEmails ?? []) {
    v.matches('notificationEmails', email, /^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'e-mail addresses');
  }
  if (props.createDetector === false) {
    const given = (['s3Protection', 'lambdaProtection', 'runtimeMonitoring', 'eksProtection', 'malwareProtection', 'rdsProtection', 'findingPublishingFrequency'] as const)
      .filter((p) => props[p] !== undefined);
    v.check(given.length === 0, given.join(', '), 'set', 'unset when createDetector is false (the existing detector\'s owner configures it)');
  }
  if (props.createSecurityHub === false) {
    const given = (['foundationalBestPractices', 'cisBenchmark', 'cisBenchmarkVersion'] as const).filter((p) => props[p] !== undefined);
    v.check(given.length === 0, given.join(', '), 'set', 'unset when createSecurityHub is false (the existing hub\'s owner manages standards)');
  }
}
