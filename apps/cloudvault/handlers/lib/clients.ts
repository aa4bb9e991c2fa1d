import { BackupClient } from '@aws-sdk/client-backup';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './observability';
import { currentTenant, remember, tenantCredentials } from './tenant-credentials';

// Clients are created once per container (on first use, so a handler that never touches S3 never
// builds an S3 client) and reused by every invocation. Endpoints are overridable for local mode
// and tests: DYNAMODB_ENDPOINT (DynamoDB Local), S3_ENDPOINT (an S3 emulator, path-style),
// SQS_ENDPOINT (local/sqs-emulator.ts), SES_ENDPOINT (local/ses-sink.ts), BACKUP_ENDPOINT (a stub),
// STS_ENDPOINT (tenant sessions, lib/tenant-credentials.ts).

let documentClient: DynamoDBDocumentClient | undefined;
let s3Client: S3Client | undefined;
let presignClient: S3Client | undefined;
let sqsClient: SQSClient | undefined;
let sesClient: SESv2Client | undefined;
let backupClient: BackupClient | undefined;

// Tenant data is read and written with the request's tenant session when the stack configured one
// (lib/tenant-credentials.ts): ddb(), s3() and presigner() then return that tenant's clients, built
// once per tenant per container on its shared credentials provider. functionDdb()/functionS3()
// keep the function's own role for the few calls that are not one tenant's data.
interface TenantClients {
  ddb?: DynamoDBDocumentClient;
  s3?: S3Client;
  presigner?: S3Client;
}
const tenantClients = new Map<string, TenantClients>();

function clientsOf(tenantId: string): TenantClients {
  let clients = tenantClients.get(tenantId);
  if (!clients) {
    clients = {};
    remember(tenantClients, tenantId, clients);
  }
  return clients;
}

/** Credentials for a new client: the tenant's session, or the SDK's default chain (undefined). */
const credentialsOf = (tenantId: string | undefined) => (tenantId ? { credentials: tenantCredentials(tenantId) } : {});

function newDocumentClient(tenantId: string | undefined): DynamoDBDocumentClient {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  const client = tracer.captureAWSv3Client(new DynamoDBClient({ ...(endpoint ? { endpoint } : {}), ...credentialsOf(tenantId) }));
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

function newS3Client(tenantId: string | undefined, presigning: boolean): S3Client {
  const endpoint = process.env.S3_ENDPOINT;
  const client = new S3Client({
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    ...credentialsOf(tenantId),
    // With the SDK's default checksum setting a presigned PutObject/UploadPart URL carries the
    // CRC32 of an EMPTY body (`x-amz-checksum-crc32=AAAAAA==`) and S3 rejects every real upload to it.
    ...(presigning ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } as const : {}),
  });
  // Signing makes no network call: the presigner is not traced.
  return presigning ? client : tracer.captureAWSv3Client(client);
}

/** The DynamoDB DocumentClient (plain JS values in and out; `undefined` attributes dropped): the tenant's within a tenant request. */
export function ddb(): DynamoDBDocumentClient {
  const tenantId = currentTenant();
  if (tenantId) {
    const clients = clientsOf(tenantId);
    return (clients.ddb ??= newDocumentClient(tenantId));
  }
  return functionDdb();
}

/** The DocumentClient with the function's own role, for items outside tenant partitions. */
export function functionDdb(): DynamoDBDocumentClient {
  return (documentClient ??= newDocumentClient(undefined));
}

/** The S3 client: the tenant's within a tenant request. */
export function s3(): S3Client {
  const tenantId = currentTenant();
  if (tenantId) {
    const clients = clientsOf(tenantId);
    return (clients.s3 ??= newS3Client(tenantId, false));
  }
  return functionS3();
}

/** The S3 client with the function's own role. */
export function functionS3(): S3Client {
  return (s3Client ??= newS3Client(undefined, false));
}

/**
 * The client that signs presigned URLs (separate from s3(), see newS3Client): within a tenant
 * request it signs with the tenant's session, which may read and write exactly that tenant's objects.
 */
export function presigner(): S3Client {
  const tenantId = currentTenant();
  if (tenantId) {
    const clients = clientsOf(tenantId);
    return (clients.presigner ??= newS3Client(tenantId, true));
  }
  return (presignClient ??= newS3Client(undefined, true));
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
