/**
 * The local services a handler test needs, started together and wired into the environment the
 * handlers read: DynamoDB Local with the CloudVault table (DYNAMODB_ENDPOINT, TABLE_NAME), and on
 * request the S3 emulator with a files bucket (S3_ENDPOINT, FILES_BUCKET), the SQS emulator with
 * the notification queue (SQS_ENDPOINT, NOTIFICATIONS_QUEUE_URL; optionally with a dead-letter
 * queue), the backup export queue (BACKUP_EXPORTS_QUEUE_URL, with its dead-letter queue and the
 * stack's receive limit) and the SES sink (SES_ENDPOINT). Start it in beforeAll, before the first handler call
 * creates its clients; `stop()` in afterAll. Every emulator-backed handler test starts its
 * services here.
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbLocal, startDynamoDbLocal } from '../../../kit/local/dynamodb-local';
import { S3Emulator, S3EmulatorOptions, S3_EMULATOR_CREDENTIALS, startS3Emulator } from '../../../kit/local/s3-emulator';
import { SesSink, startSesSink } from '../../../kit/local/ses-sink';
import { SqsEmulator, startSqsEmulator } from '../../../kit/local/sqs-emulator';
import { QUEUE_SETTINGS } from '../../infra/queue-settings';
import { TABLE_SCHEMA } from '../../infra/table-schema';

export interface HandlerServicesOptions {
  /** Start the S3 emulator (with these options) and create the files bucket. */
  readonly s3?: boolean | S3EmulatorOptions;
  /** Start the SQS emulator and create the notification queue (with these options: also its dead-letter queue). */
  readonly sqs?: boolean | HandlerQueueOptions;
  /** Start the SQS emulator and create the backup export queue (QUEUE_SETTINGS.backupExports) with its dead-letter queue. */
  readonly backupExports?: boolean;
  /** Start the SES sink (SES_ENDPOINT). */
  readonly ses?: boolean;
  /** Name of the table (default: generated). */
  readonly tableName?: string;
}

export interface HandlerQueueOptions {
  /** Receives after which a failing message moves to the dead-letter queue `notifications-dlq` (created with it). */
  readonly maxReceiveCount: number;
}

export interface HandlerServices {
  readonly db: DynamoDbLocal;
  /** A DocumentClient on DynamoDB Local for setup and assertions. */
  readonly doc: DynamoDBDocumentClient;
  readonly table: string;
  readonly s3?: S3Emulator;
  readonly bucket?: string;
  readonly sqs?: SqsEmulator;
  readonly queueUrl?: string;
  /** The notification queue's dead-letter queue, when `sqs` asked for one. */
  readonly dlqUrl?: string;
  /** The backup export queue and its dead-letter queue, when `backupExports` asked for them. */
  readonly backupExportQueueUrl?: string;
  readonly backupExportDlqUrl?: string;
  readonly ses?: SesSink;
  stop(): Promise<void>;
}

export async function startHandlerServices(options: HandlerServicesOptions = {}): Promise<HandlerServices> {
  if (options.s3) {
    // The handlers' clients send one key pair to every service: the S3 emulator accepts only its
    // own (DynamoDB Local, run with -sharedDb, accepts any).
    process.env.AWS_ACCESS_KEY_ID = S3_EMULATOR_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = S3_EMULATOR_CREDENTIALS.secretAccessKey;
  }
  const [db, s3, sqs, ses] = await Promise.all([
    startDynamoDbLocal(),
    options.s3 ? startS3Emulator(options.s3 === true ? {} : options.s3) : undefined,
    options.sqs || options.backupExports ? startSqsEmulator() : undefined,
    options.ses ? startSesSink() : undefined,
  ]);
  process.env.DYNAMODB_ENDPOINT = db.endpoint;
  const table = await db.createTable(TABLE_SCHEMA, options.tableName);
  process.env.TABLE_NAME = table;
  let bucket: string | undefined;
  if (s3) {
    process.env.S3_ENDPOINT = s3.endpoint;
    bucket = await s3.createBucket();
    process.env.FILES_BUCKET = bucket;
  }
  let queueUrl: string | undefined;
  let dlqUrl: string | undefined;
  if (sqs) process.env.SQS_ENDPOINT = sqs.endpoint;
  if (sqs && options.sqs) {
    const queue = options.sqs === true ? undefined : options.sqs;
    dlqUrl = queue ? sqs.createQueue('notifications-dlq') : undefined;
    queueUrl = sqs.createQueue('notifications', queue ? { deadLetterQueue: dlqUrl, maxReceiveCount: queue.maxReceiveCount } : undefined);
    process.env.NOTIFICATIONS_QUEUE_URL = queueUrl;
  }
  let backupExportQueueUrl: string | undefined;
  let backupExportDlqUrl: string | undefined;
  if (sqs && options.backupExports) {
    backupExportDlqUrl = sqs.createQueue('backup-exports-dlq');
    const { maxReceiveCount } = QUEUE_SETTINGS.backupExports;
    backupExportQueueUrl = sqs.createQueue('backup-exports', { deadLetterQueue: backupExportDlqUrl, maxReceiveCount });
    process.env.BACKUP_EXPORTS_QUEUE_URL = backupExportQueueUrl;
  }
  if (ses) process.env.SES_ENDPOINT = ses.endpoint;
  return {
    db,
    doc: DynamoDBDocumentClient.from(db.client),
    table,
    s3,
    bucket,
    sqs,
    queueUrl,
    dlqUrl,
    backupExportQueueUrl,
    backupExportDlqUrl,
    ses,
    async stop() {
      await Promise.all([db.stop(), s3?.stop(), sqs?.stop(), ses?.stop()]);
    },
  };
}
