import { BackupClient } from '@aws-sdk/client-backup';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './observability';

// Clients are created once per container (on first use, so a handler that never touches S3 never
// builds an S3 client) and reused by every invocation. Endpoints are overridable for local mode
// and tests: DYNAMODB_ENDPOINT (DynamoDB Local), S3_ENDPOINT (an S3 emulator, path-style),
// SQS_ENDPOINT (local/sqs-emulator.ts), SES_ENDPOINT (local/ses-sink.ts), BACKUP_ENDPOINT (a stub).

let documentClient: DynamoDBDocumentClient | undefined;
let s3Client: S3Client | undefined;
let sqsClient: SQSClient | undefined;
let sesClient: SESv2Client | undefined;
let backupClient: BackupClient | undefined;

/** The DynamoDB DocumentClient (plain JS values in and out; `undefined` attributes dropped). */
export function ddb(): DynamoDBDocumentClient {
  if (!documentClient) {
    const endpoint = process.env.DYNAMODB_ENDPOINT;
    const client = tracer.captureAWSv3Client(new DynamoDBClient(endpoint ? { endpoint } : {}));
    documentClient = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    });
  }
  return documentClient;
}

/** The S3 client. */
export function s3(): S3Client {
  if (!s3Client) {
    const endpoint = process.env.S3_ENDPOINT;
    s3Client = tracer.captureAWSv3Client(new S3Client(endpoint ? { endpoint, forcePathStyle: true } : {}));
  }
  return s3Client;
}

/** The SQS client (notification queue). */
export function sqs(): SQSClient {
  if (!sqsClient) {
    const endpoint = process.env.SQS_ENDPOINT;
    sqsClient = tracer.captureAWSv3Client(new SQSClient(endpoint ? { endpoint } : {}));
  }
  return sqsClient;
}

/** The SES (v2) client (notification e-mail). */
export function ses(): SESv2Client {
  if (!sesClient) {
    const endpoint = process.env.SES_ENDPOINT;
    sesClient = tracer.captureAWSv3Client(new SESv2Client(endpoint ? { endpoint } : {}));
  }
  return sesClient;
}

/** The AWS Backup client (scheduled table backups). */
export function backup(): BackupClient {
  if (!backupClient) {
    const endpoint = process.env.BACKUP_ENDPOINT;
    backupClient = tracer.captureAWSv3Client(new BackupClient(endpoint ? { endpoint } : {}));
  }
  return backupClient;
}

/** An environment variable the stack sets; a missing (or, unless allowed, empty) one is a deployment error. */
export function requiredEnv(name: string, mayBeEmpty = false): string {
  const value = process.env[name];
  if (value === undefined || (value === '' && !mayBeEmpty)) throw new Error(`${name} is not set`);
  return value;
}

/** The single CloudVault table (TABLE_NAME, set by the stack). */
export const tableName = (): string => requiredEnv('TABLE_NAME');

/** The files bucket (FILES_BUCKET, set by the stack). */
export const filesBucket = (): string => requiredEnv('FILES_BUCKET');
