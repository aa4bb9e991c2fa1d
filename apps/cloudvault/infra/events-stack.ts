import { Duration, Stack, StackProps, aws_ec2 as ec2, aws_iam as iam, aws_ses as ses, aws_sns as sns } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { handlerEnvironment, pascalCase } from './api-stack';
import { handlerCode } from './handler-code';
import { HANDLER_PERMISSIONS, grantHandlerPermissions } from './handler-permissions';
import { QUEUE_SETTINGS } from './queue-settings';
import { EnhancedLambdaFunction, BucketEventRule, BucketEventType, ScheduledJob, WorkQueue, AlarmSet, SecureBucket, SecureTable } from '../../../src';

/** Properties of the CloudVault events stack. */
export interface CloudVaultEventsStackProps extends StackProps {
  /** The one alarm topic of the app. */
  readonly alarmTopic: sns.ITopic;
  /** VPC the functions run in. */
  readonly vpc: ec2.IVpc;
  readonly table: SecureTable;
  /** The files bucket (EventBridge notifications on). */
  readonly files: SecureBucket;
  /** Verified SES identity (domain or address) notification e-mails are sent from. */
  readonly senderDomain: string;
}

/** The e-mail templates of the notification worker (SES_TEMPLATE_PREFIX + name). */
export const NOTIFICATION_TEMPLATES: Record<string, { subject: string; text: string }> = {
  'share-created': { subject: 'A file was shared with you', text: '{{sharedBy}} shared "{{fileName}}" with you: {{url}}' },
  'upload-complete': { subject: 'Upload complete', text: '"{{fileName}}" is uploaded and ready.' },
  'quota-warning': { subject: 'Your CloudVault storage is almost full', text: 'You are using {{usedPercent}}% of your storage quota.' },
  'generic': { subject: '{{subject}}', text: '{{message}}' },
};

/**
 * Everything that runs without a caller: the fileProcessor on S3 object-created events, the
 * notification queue and its worker (SES e-mail, in-app items), the backup export queue and its
 * worker, and the scheduled analytics aggregation and cleanup jobs.
 */
export class CloudVaultEventsStack extends Stack {
  public readonly fileProcessor: EnhancedLambdaFunction;
  public readonly uploads: BucketEventRule;
  public readonly notificationWorker: EnhancedLambdaFunction;
  public readonly notifications: WorkQueue;
  public readonly templates: ses.CfnTemplate[];
  public readonly analyticsAggregator: EnhancedLambdaFunction;
  public readonly aggregation: ScheduledJob;
  public readonly cleanup: EnhancedLambdaFunction;
  public readonly cleanupJob: ScheduledJob;
  /** Fulfils the on-demand tenant exports the backup API queues. */
  public readonly backupExporter: EnhancedLambdaFunction;
  public readonly backupExports: WorkQueue;
  public readonly alarms: AlarmSet;

  /** Every function of the stack. */
  public get functions(): EnhancedLambdaFunction[] {
    return [this.fileProcessor, this.notificationWorker, this.analyticsAggregator, this.cleanup, this.backupExporter];
  }

  constructor(scope: Construct, id: string, props: CloudVaultEventsStackProps) {
    super(scope, id, props);
    this.alarms = new AlarmSet(this, 'Alarms', { alarmSetName: this.stackName, topic: props.alarmTopic });
    const fn = (name: string, options: { memorySize?: number; timeout: Duration; environment?: Record<string, string> }) =>
      new EnhancedLambdaFunction(this, pascalCase(name), {
        code: handlerCode(name),
        environment: { ...handlerEnvironment(name), TABLE_NAME: props.table.tableName, ...options.environment },
        memorySize: options.memorySize ?? 512,
        timeout: options.timeout,
        vpc: props.vpc,
        alarms: this.alarms,
      });

    // fileProcessor: verifies type (magic bytes), checksums, thumbnails; quarantines mismatches.
    this.fileProcessor = fn('file-processor', {
      memorySize: 2048, // sharp decodes images in memory; more memory also means more CPU
      timeout: Duration.minutes(5),
      environment: { FILES_BUCKET: props.files.bucket.bucketName },
    });
    grantHandlerPermissions(this.fileProcessor, HANDLER_PERMISSIONS['file-processor'], props.table, props.files);
    this.uploads = new BucketEventRule(this, 'Uploads', {
      bucket: props.files.bucket,
      handler: this.fileProcessor,
      prefix: 'tenants/',
      eventTypes: [BucketEventType.OBJECT_CREATED],
      alarms: this.alarms,
    });

    // notificationService: in-app items and templated SES e-mail from an SQS queue (partial batch failures, DLQ).
    const templatePrefix = `${this.stackName}-`.replace(/[^A-Za-z0-9_-]/g, '-');
    this.templates = Object.entries(NOTIFICATION_TEMPLATES).map(([name, t]) => new ses.CfnTemplate(this, `Template${pascalCase(name)}`, {
      template: { templateName: `${templatePrefix}${name}`, subjectPart: t.subject, textPart: t.text },
    }));
    this.notificationWorker = fn('notification-worker', {
      timeout: Duration.seconds(30),
      environment: { SES_FROM_ADDRESS: `no-reply@${props.senderDomain}`, SES_TEMPLATE_PREFIX: templatePrefix },
    });
    grantHandlerPermissions(this.notificationWorker, HANDLER_PERMISSIONS['notification-worker'], props.table);
    this.notificationWorker.addToRolePolicy(new iam.PolicyStatement({
      actions: ['ses:SendEmail'],
      resources: [
        this.formatArn({ service: 'ses', resource: 'identity', resourceName: props.senderDomain }),
        ...this.templates.map((t) => this.formatArn({ service: 'ses', resource: 'template', resourceName: t.ref })),
      ],
      // Only from the app's own sender address.
      conditions: { StringEquals: { 'ses:FromAddress': `no-reply@${props.senderDomain}` } },
    }));
    this.notifications = new WorkQueue(this, 'Notifications', {
      handler: this.notificationWorker,
      ...QUEUE_SETTINGS.notifications,
      alarms: this.alarms,
    });

    // backupService: on-demand tenant exports, queued by POST /api/backup (they can outlast the API's 29 s).
    this.backupExporter = fn('backup-export', {
      memorySize: 1024, // the export is built in memory
      timeout: Duration.minutes(10),
      environment: { FILES_BUCKET: props.files.bucket.bucketName },
    });
    grantHandlerPermissions(this.backupExporter, HANDLER_PERMISSIONS['backup-export'], props.table, props.files);
    this.backupExports = new WorkQueue(this, 'BackupExports', {
      handler: this.backupExporter,
      ...QUEUE_SETTINGS.backupExports,
      alarms: this.alarms,
    });

    // analyticsService: daily aggregation of the previous day's events (01:15 UTC).
    this.analyticsAggregator = fn('analytics-aggregator', { timeout: Duration.minutes(5) });
    grantHandlerPermissions(this.analyticsAggregator, HANDLER_PERMISSIONS['analytics-aggregator'], props.table);
    this.aggregation = new ScheduledJob(this, 'AggregationJob', {
      handler: this.analyticsAggregator,
      schedules: [{ name: 'daily-aggregation', cron: '15 1 * * ? *', description: 'Aggregate yesterday\'s analytics events per tenant' }],
      alarms: this.alarms,
    });

    // Cleanup: expired share links that TTL has not removed yet, stale multipart uploads (03:00 UTC).
    this.cleanup = fn('cleanup', { timeout: Duration.minutes(5), environment: { FILES_BUCKET: props.files.bucket.bucketName } });
    // Stale uploads: list them (below), abort them, and delete what an abandoned new file left behind.
    grantHandlerPermissions(this.cleanup, HANDLER_PERMISSIONS.cleanup, props.table, props.files);
    this.cleanup.addToRolePolicy(new iam.PolicyStatement({
      actions: ['s3:ListBucketMultipartUploads'],
      resources: [props.files.bucket.bucketArn],
    }));
    this.cleanupJob = new ScheduledJob(this, 'CleanupJob', {
      handler: this.cleanup,
      schedules: [{ name: 'daily-cleanup', cron: '0 3 * * ? *', input: {}, description: 'Remove expired shares and abort stale multipart uploads' }],
      alarms: this.alarms,
    });
  }
}
