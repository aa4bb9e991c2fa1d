import '../../../kit/test/handler-env'; // before the handler: Powertools reads it at module load
import { createHash } from 'crypto';
import { IncomingMessage, Server, ServerResponse, createServer } from 'http';
import { AddressInfo } from 'net';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { S3Emulator } from '../../../kit/local/s3-emulator';
import { SqsEmulator } from '../../../kit/local/sqs-emulator';
import { Identity, ParsedResponse, apiEvent, lambdaContext, parseResponse, expectError } from '../../../kit/test/api-event';
import { handler as exportWorker } from '../../handlers/backup-export.lambda';
import { ScheduledBackupResult, handler, timeOrderedUuid } from '../../handlers/backup.lambda';
import { backupKey, backupObjectKey, fileKey, folderKey, scheduledBackupKey, shareKey, tenantKey } from '../../handlers/lib/keys';
import { metrics } from '../../handlers/lib/observability';
import { verifyExport } from '../../handlers/lib/tenant-export';
import { QUEUE_SETTINGS } from '../../infra/queue-settings';
import { HandlerServices, startHandlerServices } from '../support/handler-services';

const ADMIN_A: Identity = { tenantId: 'tenant-a', sub: 'admin-a' };
const MEMBER_A: Identity = { tenantId: 'tenant-a', sub: 'member-a' };
const ADMIN_B: Identity = { tenantId: 'tenant-b', sub: 'admin-b' };
const ADMINS = new Set(['admin-a', 'admin-b']);
const BACKUP = '/api/backup';
const VAULT = 'cloudvault-vault';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/cloudvault-backup';
const TABLE_ARN = 'arn:aws:dynamodb:eu-west-1:123456789012:table/cloudvault';

/** A stub of the AWS Backup REST-JSON API: records requests, answers StartBackupJob and DescribeBackupJob. */
interface BackupStub {
  readonly endpoint: string;
  readonly requests: { method: string; path: string; body: any }[];
  /** States DescribeBackupJob reports, by job id. */
  readonly states: Map<string, string>;
  stop(): Promise<void>;
}

async function startBackupStub(): Promise<BackupStub> {
  const requests: BackupStub['requests'] = [];
  const states = new Map<string, string>();
  let jobs = 0;
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '').split('?')[0];
    requests.push({ method: req.method!, path, body: text ? JSON.parse(text) : undefined });
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'PUT' && path === '/backup-jobs') {
      const id = `job-${++jobs}`;
      return send(200, { BackupJobId: id, RecoveryPointArn: `arn:aws:backup:eu-west-1:123456789012:recovery-point:${id}`, CreationDate: Date.now() / 1000, IsParent: false });
    }
    const describe = /^\/backup-jobs\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && describe) {
      const id = decodeURIComponent(describe[1]);
      const state = states.get(id);
      if (!state) return send(404, { Message: `No job ${id}` }, { 'x-amzn-errortype': 'ResourceNotFoundException' });
      return send(200, { BackupJobId: id, State: state, BackupSizeInBytes: 4096, StatusMessage: state === 'COMPLETED' ? undefined : 'stub says so' });
    }
    return send(404, { Message: 'not stubbed' }, { 'x-amzn-errortype': 'ResourceNotFoundException' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    states,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

let services: HandlerServices;
let s3: S3Emulator;
let stub: BackupStub;
let bucket: string;
let doc: DynamoDBDocumentClient;
let sqs: SqsEmulator;
let exportQueue: string;
let exportDlq: string;

beforeAll(async () => {
  [services, stub] = await Promise.all([
    startHandlerServices({ s3: true, backupExports: true, tableName: 'cloudvault' }), // the table TABLE_ARN names
    startBackupStub(),
  ]);
  ({ s3, bucket, doc, sqs, backupExportQueueUrl: exportQueue, backupExportDlqUrl: exportDlq } = services as Required<HandlerServices>);
  process.env.BACKUP_ENDPOINT = stub.endpoint;
  process.env.BACKUP_VAULT_NAME = VAULT;
  process.env.BACKUP_ROLE_ARN = ROLE_ARN;
  process.env.TABLE_ARN = TABLE_ARN;

  // Each tenant's data: profile, folder, file, share.
  for (const t of ['tenant-a', 'tenant-b']) {
    const put = (item: Record<string, unknown>) => doc.send(new PutCommand({ TableName: process.env.TABLE_NAME, Item: item }));
    await put({ ...tenantKey(t), type: 'TENANT', storedBytes: 10 });
    await put({ ...folderKey(t, '11111111-1111-4111-8111-111111111111'), type: 'FOLDER', name: `${t}-docs` });
    await put({ ...fileKey(t, '22222222-2222-4222-8222-222222222222'), type: 'FILE', name: `${t}-secret.pdf` });
    await put({ ...shareKey(t, `token-${t}`), type: 'SHARE', fileId: '22222222-2222-4222-8222-222222222222' });
  }
}, 30_000);
afterAll(async () => {
  await Promise.all([services?.stop(), stub?.stop()]);
});


interface CallOptions {
  readonly body?: unknown;
  readonly query?: Record<string, string>;
}

async function call(identity: Identity | undefined, method: string, opts: CallOptions = {}): Promise<ParsedResponse> {
  const event = apiEvent({ method, resource: BACKUP, body: opts.body, query: opts.query, identity });
  if (identity && ADMINS.has(identity.sub)) (event.requestContext.authorizer!.claims as Record<string, string>)['cognito:groups'] = 'admin';
  return parseResponse(await handler(event, lambdaContext('backup')) as APIGatewayProxyResult);
}


async function readObject(key: string): Promise<Buffer> {
  const res = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

/** The export worker as the event source mapping calls it (batch size 1, the stack's setting). */
const worker = (event: SQSEvent) => exportWorker(event, lambdaContext('backup-export')) as Promise<SQSBatchResponse>;
const runExports = () => sqs.drain(exportQueue, worker, { batchSize: QUEUE_SETTINGS.backupExports.batchSize });

/** POST /api/backup, then the worker, then the record: what a polling client ends up with. */
async function exportOf(identity: Identity): Promise<any> {
  const started = await call(identity, 'POST');
  expect(started.statusCode).toBe(202);
  await runExports();
  return (await call(identity, 'GET', { query: { id: started.body.backupId } })).body;
}

describe('on-demand export', () => {
  let backupA: any;

  test('an admin starts an export: 202 with the RUNNING record, one job queued, nothing exported yet', async () => {
    const res = await call(ADMIN_A, 'POST');
    expect(res.statusCode).toBe(202);
    const backupId = res.body.backupId;
    expect(res.body).toEqual({
      backupId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      status: 'RUNNING',
      objectKey: backupObjectKey('tenant-a', backupId),
      startedAt: expect.any(String),
      verified: false,
      requestedBy: 'admin-a',
    });
    expect(res.headers.Location).toBe(`/api/backup?id=${backupId}`);
    expect(sqs.messages(exportQueue).map((m) => JSON.parse(m.body))).toEqual([{ tenantId: 'tenant-a', backupId }]);
    expect((await call(ADMIN_A, 'GET', { query: { id: backupId } })).body).toEqual(res.body);
    await expect(readObject(res.body.objectKey)).rejects.toThrow();

    // The worker writes and verifies the export; the record says so.
    const reports = await runExports();
    expect(reports.map((r) => r.succeeded.length)).toEqual([1]);
    backupA = (await call(ADMIN_A, 'GET', { query: { id: backupId } })).body;
    expect(backupA).toEqual({
      ...res.body,
      status: 'COMPLETED',
      completedAt: expect.any(String),
      itemCount: 4,
      sizeBytes: expect.any(Number),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      verified: true,
    });

    const bytes = await readObject(backupA.objectKey);
    expect(bytes.length).toBe(backupA.sizeBytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(backupA.sha256);
    const exported = JSON.parse(bytes.toString('utf8'));
    expect(exported).toMatchObject({ format: 'cloudvault-tenant-export', version: 1, tenantId: 'tenant-a', backupId: backupA.backupId, count: 4 });
    expect(exported.items.map((i: any) => i.sk).sort()).toEqual(['FILE#22222222-2222-4222-8222-222222222222', 'FOLDER#11111111-1111-4111-8111-111111111111', 'SHARE#token-tenant-a', 'TENANT']);
    expect(exported.items.every((i: any) => i.pk === 'TENANT#tenant-a')).toBe(true);
  });

  test('a redelivered job of a finished export changes nothing', async () => {
    const job = { tenantId: 'tenant-a', backupId: backupA.backupId };
    const before = await readObject(backupA.objectKey);
    const addMetric = jest.spyOn(metrics, 'addMetric');
    try {
      const event = { Records: [{ messageId: 'again', body: JSON.stringify(job), attributes: { ApproximateReceiveCount: '2' } }] } as unknown as SQSEvent;
      expect(await worker(event)).toEqual({ batchItemFailures: [] });
      expect(addMetric).not.toHaveBeenCalledWith('BackupsCompleted', expect.anything(), expect.anything());
    } finally {
      addMetric.mockRestore();
    }
    expect((await call(ADMIN_A, 'GET', { query: { id: backupA.backupId } })).body).toEqual(backupA);
    expect((await readObject(backupA.objectKey)).equals(before)).toBe(true);
  });

  test("tenant B's export holds none of tenant A's items, and B cannot read A's backup", async () => {
    const backupB = await exportOf(ADMIN_B);
    expect(backupB.status).toBe('COMPLETED');
    const text = (await readObject(backupB.objectKey)).toString('utf8');
    expect(text).not.toMatch(/tenant-a/);
    expect(JSON.parse(text).items.map((i: any) => i.name).filter(Boolean).sort()).toEqual(['tenant-b-docs', 'tenant-b-secret.pdf']);
    expect(backupB.objectKey).toMatch(/^backups\/tenant-b\//);

    expectError(await call(ADMIN_B, 'GET', { query: { id: backupA.backupId } }), 404, 'NOT_FOUND');
    const listB = await call(ADMIN_B, 'GET');
    expect(listB.body.items.map((b: any) => b.backupId)).toEqual([backupB.backupId]);
  });

  test('a second export does not contain the backup records, and the list is newest first', async () => {
    const second = await exportOf(ADMIN_A);
    expect(second.itemCount).toBe(4);
    const list = await call(MEMBER_A, 'GET');
    expect(list.statusCode).toBe(200);
    expect(list.body.items.map((b: any) => b.backupId)).toEqual([second.backupId, backupA.backupId]);
    expect(list.body.items[1]).toEqual(backupA);

    const page1 = await call(MEMBER_A, 'GET', { query: { limit: '1' } });
    expect(page1.body.items.map((b: any) => b.backupId)).toEqual([second.backupId]);
    const page2 = await call(MEMBER_A, 'GET', { query: { limit: '1', nextToken: page1.body.nextToken } });
    expect(page2.body.items.map((b: any) => b.backupId)).toEqual([backupA.backupId]);
    expectError(await call(ADMIN_B, 'GET', { query: { nextToken: page1.body.nextToken } }), 400, 'VALIDATION_FAILED', /query\.nextToken/);

    expect((await call(MEMBER_A, 'GET', { query: { id: backupA.backupId } })).body).toEqual(backupA);
  });

  test('members may not start a backup', async () => {
    const before = (await call(MEMBER_A, 'GET')).body.count;
    expectError(await call(MEMBER_A, 'POST'), 403, 'FORBIDDEN', /Only tenant admins/);
    expect((await call(MEMBER_A, 'GET')).body.count).toBe(before);
    expect(sqs.messages(exportQueue)).toHaveLength(0);
  });

  test('an export that cannot be written is retried, then recorded FAILED on the last receive (not left RUNNING)', async () => {
    const started = await call(ADMIN_B, 'POST');
    process.env.FILES_BUCKET = 'no-such-bucket';
    let reports;
    try {
      reports = await runExports();
    } finally {
      process.env.FILES_BUCKET = bucket;
    }
    // Two receives fail and return the job; the last one records the failure and deletes it.
    expect(reports.map((r) => [r.failed.length, r.succeeded.length])).toEqual([[1, 0], [1, 0], [0, 1]]);
    expect(reports).toHaveLength(QUEUE_SETTINGS.backupExports.maxReceiveCount);
    expect(sqs.messages(exportDlq)).toHaveLength(0);
    const record = (await call(ADMIN_B, 'GET', { query: { id: started.body.backupId } })).body;
    expect(record).toMatchObject({ backupId: started.body.backupId, status: 'FAILED', verified: false, error: 'the export could not be written', completedAt: expect.any(String) });
    expect(JSON.stringify(record)).not.toMatch(/NoSuchBucket|no-such-bucket/);
  });

  test('a job the queue refuses is a 500 that names the backup, and the record says FAILED', async () => {
    process.env.BACKUP_EXPORTS_QUEUE_URL = `${exportQueue}-missing`;
    let res: ParsedResponse;
    try {
      res = await call(ADMIN_B, 'POST');
    } finally {
      process.env.BACKUP_EXPORTS_QUEUE_URL = exportQueue;
    }
    expectError(res, 500, 'BACKUP_FAILED', /the export could not be queued/);
    const backupId = res.body.error.details.backupId;
    expect((await call(ADMIN_B, 'GET', { query: { id: backupId } })).body).toMatchObject({ backupId, status: 'FAILED', error: 'the export could not be queued' });
  });

  test.each([
    ['not JSON', '{"tenantId":'],
    ['another shape', JSON.stringify({ tenantId: 'tenant-a', backupId: 'x' })],
    ['a tenant id that is a key fragment', JSON.stringify({ tenantId: 'tenant-a#BACKUP', backupId: timeOrderedUuid() })],
  ])('a job that is %s ends in the dead-letter queue and touches nothing', async (_case, body) => {
    const listed = (await call(ADMIN_A, 'GET')).body;
    sqs.purge(exportDlq);
    await new SQSClient({ endpoint: sqs.endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } })
      .send(new SendMessageCommand({ QueueUrl: exportQueue, MessageBody: body }));
    const reports = await runExports();
    expect(reports.every((r) => r.failed.length + r.deadLettered.length === 1)).toBe(true);
    expect(sqs.messages(exportDlq)).toHaveLength(1);
    expect((await call(ADMIN_A, 'GET')).body).toEqual(listed);
  });

  test('a job whose record is gone is a no-op', async () => {
    const backupId = timeOrderedUuid();
    const event = { Records: [{ messageId: 'gone', body: JSON.stringify({ tenantId: 'tenant-a', backupId }), attributes: { ApproximateReceiveCount: '1' } }] } as unknown as SQSEvent;
    expect(await worker(event)).toEqual({ batchItemFailures: [] });
    expect((await doc.send(new GetCommand({ TableName: process.env.TABLE_NAME, Key: backupKey('tenant-a', backupId) }))).Item).toBeUndefined();
    await expect(readObject(backupObjectKey('tenant-a', backupId))).rejects.toThrow();
  });

  test.each([
    ['POST', { body: { tenantId: 'tenant-b' } }, 400, 'VALIDATION_FAILED', /tenantId/],
    ['POST', { body: '{"x":' }, 400, 'MALFORMED_JSON', /not valid JSON/],
    ['GET', { query: { id: '../etc/passwd' } }, 400, 'VALIDATION_FAILED', /query\.id: must be a UUID/],
    ['GET', { query: { id: '01900000-0000-7000-8000-000000000000', limit: '2' } }, 400, 'VALIDATION_FAILED', /"id" cannot be combined/],
    ['GET', { query: { limit: '1000' } }, 400, 'VALIDATION_FAILED', /query\.limit/],
    ['GET', { query: { tenant: 'tenant-b' } }, 400, 'VALIDATION_FAILED', /tenant/],
    ['DELETE', {}, 405, 'METHOD_NOT_ALLOWED', /DELETE/],
  ])('%s %j is a %d and queues nothing', async (method, opts, status, code, message) => {
    expectError(await call(ADMIN_A, method, opts as any), status, code, message);
    expect(sqs.messages(exportQueue)).toHaveLength(0);
  });

  test('anonymous calls are 401; unknown ids 404', async () => {
    expectError(await call(undefined, 'POST'), 401, 'UNAUTHORIZED');
    expectError(await call(undefined, 'GET'), 401, 'UNAUTHORIZED');
    expectError(await call(MEMBER_A, 'GET', { query: { id: timeOrderedUuid() } }), 404, 'NOT_FOUND');
  });
});

describe('verifyExport', () => {
  const expected = { tenantId: 'tenant-v', backupId: timeOrderedUuid(), itemCount: 1, sha256: '' };
  const put = async (key: string, body: string) => {
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    return createHash('sha256').update(body).digest('hex');
  };
  const doc1 = (extra: Record<string, unknown> = {}) => JSON.stringify({ format: 'cloudvault-tenant-export', version: 1, tenantId: 'tenant-v', backupId: expected.backupId, count: 1, items: [{ pk: 'x' }], ...extra });

  test('accepts the export it describes', async () => {
    const sha256 = await put('backups/tenant-v/ok.json', doc1());
    await expect(verifyExport(bucket, 'backups/tenant-v/ok.json', { ...expected, sha256 })).resolves.toBeUndefined();
  });

  test.each([
    ['changed bytes', doc1(), 'wrong-sha', /SHA-256 of the stored object differs/],
    ['another tenant', doc1({ tenantId: 'tenant-w' }), undefined, /belongs to another export/],
    ['a wrong count', doc1({ count: 2 }), undefined, /does not hold 1 items/],
    ['missing items', doc1({ items: [] }), undefined, /does not hold 1 items/],
    ['no JSON', 'garbage', undefined, /not JSON/],
  ])('rejects %s', async (_case, body, sha, message) => {
    const key = `backups/tenant-v/${_case.replace(/\W/g, '-')}.json`;
    const actual = await put(key, body);
    await expect(verifyExport(bucket, key, { ...expected, sha256: sha ?? actual })).rejects.toThrow(message);
  });
});

describe('scheduled backup', () => {
  const today = () => new Date().toISOString().slice(0, 10);
  const yesterday = () => new Date(Date.now() - 24 * 3600 * 1000).toISOString().slice(0, 10);
  const run = (event: unknown) => handler(event, lambdaContext('backup')) as Promise<ScheduledBackupResult>;
  const scheduledRecord = async (day: string) => {
    const res = await doc.send(new GetCommand({ TableName: process.env.TABLE_NAME, Key: scheduledBackupKey(day) }));
    return res.Item;
  };

  beforeEach(() => {
    stub.requests.length = 0;
    jest.restoreAllMocks();
  });

  test('starts an AWS Backup job of the table, records it, and verifies the previous day', async () => {
    await doc.send(new PutCommand({ TableName: process.env.TABLE_NAME, Item: { ...scheduledBackupKey(yesterday()), backupJobId: 'job-yesterday', state: 'STARTED', verified: false } }));
    stub.states.set('job-yesterday', 'COMPLETED');

    const result = await run({ action: 'scheduled-backup' });
    expect(stub.requests[0]).toEqual({
      method: 'PUT',
      path: '/backup-jobs',
      body: {
        BackupVaultName: VAULT,
        ResourceArn: TABLE_ARN,
        IamRoleArn: ROLE_ARN,
        IdempotencyToken: `cloudvault-scheduled-${today()}`,
        StartWindowMinutes: 60,
        CompleteWindowMinutes: 480,
      },
    });
    expect(stub.requests[1]).toEqual({ method: 'GET', path: '/backup-jobs/job-yesterday', body: undefined });
    expect(result).toEqual({ day: today(), backupJobId: expect.stringMatching(/^job-\d+$/), previous: { day: yesterday(), backupJobId: 'job-yesterday', state: 'COMPLETED', verified: true } });
    expect(await scheduledRecord(today())).toMatchObject({ backupJobId: result.backupJobId, state: 'STARTED', recoveryPointArn: expect.stringContaining(result.backupJobId) });
    expect(await scheduledRecord(yesterday())).toMatchObject({ state: 'COMPLETED', verified: true, backupSizeInBytes: 4096 });

    // Verified once: the next run does not ask again.
    stub.requests.length = 0;
    await run({ action: 'scheduled-backup' });
    expect(stub.requests.map((r) => r.method)).toEqual(['PUT']);
  });

  test('a previous job that did not complete is an error and a BackupFailures metric', async () => {
    await doc.send(new PutCommand({ TableName: process.env.TABLE_NAME, Item: { ...scheduledBackupKey(yesterday()), backupJobId: 'job-failed', state: 'STARTED', verified: false } }));
    stub.states.set('job-failed', 'FAILED');
    const addMetric = jest.spyOn(metrics, 'addMetric');

    const result = await run({ action: 'scheduled-backup' });
    expect(result.previous).toEqual({ day: yesterday(), backupJobId: 'job-failed', state: 'FAILED', verified: false });
    expect(addMetric).toHaveBeenCalledWith('BackupFailures', 'Count', 1);
    expect(await scheduledRecord(yesterday())).toMatchObject({ state: 'FAILED', verified: false });
  });

  test('no record for the previous day is reported, not verified', async () => {
    await doc.send(new DeleteCommand({ TableName: process.env.TABLE_NAME, Key: scheduledBackupKey(yesterday()) }));
    const result = await run({ action: 'scheduled-backup' });
    expect(result.previous).toEqual({ day: yesterday(), verified: false });
  });

  test.each([
    [{}, /action: Invalid input: expected "scheduled-backup"/],
    [{ action: 'backup-everything' }, /action/],
    [{ action: 'scheduled-backup', tenantId: 'tenant-a' }, /tenantId/],
    ['scheduled-backup', /expected object/],
  ])('input %j is refused before any job starts', async (event, message) => {
    await expect(run(event)).rejects.toThrow(message);
    expect(stub.requests).toHaveLength(0);
  });
});
