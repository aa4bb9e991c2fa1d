/**
 * The local services a handler test needs, started together and wired into the environment the
 * handlers read: DynamoDB Local with the CloudVault table (DYNAMODB_ENDPOINT, TABLE_NAME), and on
 * request the S3 emulator with a files bucket (S3_ENDPOINT, FILES_BUCKET) and the SQS emulator with
 * the notification queue (SQS_ENDPOINT, NOTIFICATIONS_QUEUE_URL). Start it in beforeAll, before the
 * first handler call creates its clients; `stop()` in afterAll.
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbLocal, startDynamoDbLocal } from '../../../kit/local/dynamodb-local';
import { S3Emulator, S3EmulatorOptions, S3_EMULATOR_CREDENTIALS, startS3Emulator } from '../../../kit/local/s3-emulator';
import { SqsEmulator, startSqsEmulator } from '../../../kit/local/sqs-emulator';
import { TABLE_SCHEMA } from '../../infra/table-schema';

export interface HandlerServicesOptions {
  /** Start the S3 emulator (with these options) and create the files bucket. */
  readonly s3?: boolean | S3EmulatorOptions;
  /** Start the SQS emulator and create the notification queue. */
  readonly sqs?: boolean;
  /** Name of the table (default: generated). */
  readonly tableName?: string;
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
  stop(): Promise<void>;
}

export async function startHandlerServices(options: HandlerServicesOptions = {}): Promise<HandlerServices> {
  if (options.s3) {
    // The handlers' clients send one key pair to every service: the S3 emulator accepts only its
    // own (DynamoDB Local, run with -sharedDb, accepts any).
    process.env.AWS_ACCESS_KEY_ID = S3_EMULATOR_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = S3_EMULATOR_CREDENTIALS.secretAccessKey;
  }
  const [db, s3, sqs] = await Promise.all([
    startDynamoDbLocal(),
    options.s3 ? startS3Emulator(options.s3 === true ? {} : options.s3) : undefined,
    options.sqs ? startSqsEmulator() : undefined,
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
  if (sqs) {
    process.env.SQS_ENDPOINT = sqs.endpoint;
    queueUrl = sqs.createQueue('notifications');
    process.env.NOTIFICATIONS_QUEUE_URL = queueUrl;
  }
  return {
    db,
    doc: DynamoDBDocumentClient.from(db.client),
    table,
    s3,
    bucket,
    sqs,
    queueUrl,
    async stop() {
      await Promise.all([db.stop(), s3?.stop(), sqs?.stop()]);
    },
  };
}
