import '../../../kit/test/handler-env'; // before the handler: Powertools reads it at module load
import { createHash, randomUUID } from 'crypto';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { SQSClient, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, QueryCommand as DocQueryCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { SesSink } from '../../../kit/local/ses-sink';
import { SqsEmulator } from '../../../kit/local/sqs-emulator';
import { Identity, apiEvent, lambdaContext, parseResponse } from '../../../kit/test/api-event';
import { tenantPk } from '../../handlers/lib/keys';
import { TEMPLATE_VARIABLES } from '../../handlers/lib/notifications';
import { handler } from '../../handlers/notification-worker.lambda';
import { handler as api } from '../../handlers/notifications.lambda';
import { HandlerServices, startHandlerServices } from '../support/handler-services';

const PREFIX = 'cv-test-';
const FROM = 'no-reply@vault.example';
const MAX_RECEIVE_COUNT = 3;

let services: HandlerServices;
let sqs: SqsEmulator;
let ses: SesSink;
let queueUrl: string;
let dlqUrl: string;
let client: SQSClient;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  services = await startHandlerServices({ sqs: { maxReceiveCount: MAX_RECEIVE_COUNT }, ses: true });
  ({ sqs, ses, queueUrl, dlqUrl, doc } = services as Required<HandlerServices>);
  process.env.SES_FROM_ADDRESS = FROM;
  process.env.SES_TEMPLATE_PREFIX = PREFIX;
  client = new SQSClient({ endpoint: sqs.endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}, 30_000);
afterAll(async () => {
  client?.destroy();
  await services?.stop();
});
beforeEach(() => {
  sqs.purge(queueUrl);
  sqs.purge(dlqUrl);
  ses.clear();
});

const worker = (event: SQSEvent) => handler(event, lambdaContext('notification-worker'));

/** A valid queue message (as the API writes it). */
function message(overrides: Record<string, unknown> = {}) {
  return {
    version: 1,
    id: randomUUID(),
    tenantId: 'tenant-w',
    userId: 'user-w',
    channels: ['in-app'],
    template: 'upload-complete',
    data: { fileName: 'report.pdf' },
    requestedBy: 'user-w',
    createdAt: new Date().toISOString(),
    ...overrides,
  };
}

async function send(...bodies: unknown[]): Promise<string[]> {
  const res = await client.send(new SendMessageBatchCommand({
    QueueUrl: queueUrl,
    Entries: bodies.map((b, i) => ({ Id: `m${i}`, MessageBody: typeof b === 'string' ? b : JSON.stringify(b) })),
  }));
  expect(res.Failed ?? []).toEqual([]);
  return bodies.map((_, i) => res.Successful!.find((s) => s.Id === `m${i}`)!.MessageId!);
}

async function inAppItems(tenantId: string, userId: string) {
  const res = await doc.send(new DocQueryCommand({
    TableName: process.env.TABLE_NAME,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':prefix': `NOTIF#${userId}#` },
  }));
  return res.Items ?? [];
}

describe('partial batch failures', () => {
  test('one bad record: batchItemFailures has exactly its id, the others are delivered', async () => {
    const inApp = message();
    const email = message({ channels: ['email'], template: 'share-created', data: { sharedBy: 'Alice', fileName: 'plan.pdf', url: 'https://vault.example/s/abc' }, email: 'arthur@a.example' });
    const [inAppId, badId, emailId] = await send(inApp, { ...message(), channels: ['fax'] }, email);

    const report = (await sqs.deliver(queueUrl, worker))!;
    expect(report.event.Records.map((r) => r.messageId)).toEqual([inAppId, badId, emailId]);
    expect(report.failed).toEqual([badId]);
    expect(report.succeeded.sort()).toEqual([inAppId, emailId].sort());
    // Only the bad one stays in the queue.
    expect(sqs.messages(queueUrl).map((m) => m.messageId)).toEqual([badId]);

    const items = await inAppItems('tenant-w', 'user-w');
    expect(items).toEqual([expect.objectContaining({
      id: inApp.id,
      type: 'NOTIFICATION',
      userId: 'user-w',
      template: 'upload-complete',
      data: { fileName: 'report.pdf' },
      createdAt: inApp.createdAt,
      expiresAt: Math.floor(Date.parse(inApp.createdAt) / 1000) + 90 * 24 * 3600,
    })]);
    expect(items[0].sk).toBe(`NOTIF#user-w#${inApp.createdAt}#${inApp.id}`);

    expect(ses.emails).toHaveLength(1);
    expect(ses.emails[0].body).toEqual({
      FromEmailAddress: FROM,
      Destination: { ToAddresses: ['arthur@a.example'] },
      Content: { Template: { TemplateName: `${PREFIX}share-created`, TemplateData: JSON.stringify({ sharedBy: 'Alice', fileName: 'plan.pdf', url: 'https://vault.example/s/abc' }) } },
      EmailTags: [{ Name: 'tenant', Value: 'tenant-w' }, { Name: 'template', Value: 'share-created' }],
    });
  });

  test('the handler answers with batchItemFailures itself', async () => {
    const [good, notJson] = await send(message(), 'not json');
    const event = (await sqs.deliver(queueUrl, () => ({ batchItemFailures: [] })))!.event; // only to get a real-shaped event
    const res = await worker(event);
    expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: notJson }] });
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).not.toContain(good);
  });

  test('an invalid message ends in the DLQ after maxReceiveCount receives, the valid ones are not redelivered', async () => {
    const [, badId] = await send(message(), message({ version: 2 }), message({ channels: ['email'] /* no address */ }));
    const reports = await sqs.drain(queueUrl, worker);
    expect(reports).toHaveLength(MAX_RECEIVE_COUNT);
    expect(reports[0].failed).toHaveLength(2);
    expect(reports[0].succeeded).toHaveLength(1);
    // Later receives carry only the two bad messages.
    expect(reports.slice(1).every((r) => r.event.Records.length === 2)).toBe(true);
    expect(reports[MAX_RECEIVE_COUNT - 1].deadLettered).toContain(badId);
    expect(sqs.messages(queueUrl)).toHaveLength(0);
    expect(sqs.messages(dlqUrl)).toHaveLength(2);
    expect(ses.emails).toHaveLength(0);
  });

  test('a batch where every record fails throws, so the whole batch returns to the queue', async () => {
    await send('{}', '[]');
    const report = (await sqs.deliver(queueUrl, worker))!;
    expect(String(report.error)).toMatch(/All records failed processing/);
    expect(report.failed).toHaveLength(2);
  });
});

describe('idempotency', () => {
  test('a redelivered message does not send the e-mail twice nor duplicate the in-app item', async () => {
    const m = message({ userId: 'user-r', channels: ['in-app', 'email'], email: 'r@a.example' });
    await send(m);
    const first = (await sqs.deliver(queueUrl, worker))!;
    expect(first.succeeded).toHaveLength(1);
    expect(ses.emails).toHaveLength(1);

    // SQS delivers at least once: the same record again (e.g. the delete was lost).
    expect(await worker(first.event)).toEqual({ batchItemFailures: [] });
    expect(await worker(first.event)).toEqual({ batchItemFailures: [] });
    expect(ses.emails).toHaveLength(1);
    expect(await inAppItems('tenant-w', 'user-r')).toHaveLength(1);

    // The idempotency record lives at idempotency#notification-worker.deliver, keyed by the notification id.
    const records = await services.db.client.send(new QueryCommand({
      TableName: process.env.TABLE_NAME,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: 'idempotency#notification-worker.deliver' } },
    }));
    expect(records.Items!.some((r) => r.status?.S === 'COMPLETED' && Number(r.expiresAt?.N) > Date.now() / 1000)).toBe(true);
  });

  test('the same notification sent twice to the queue (two SQS message ids) is delivered once', async () => {
    const m = message({ userId: 'user-d', channels: ['email'], email: 'd@a.example' });
    const [first, second] = await send(m, m);
    expect(first).not.toBe(second);
    const report = (await sqs.deliver(queueUrl, worker, { batchSize: 1 }))!;
    expect(report.succeeded).toEqual([first]);
    expect((await sqs.deliver(queueUrl, worker, { batchSize: 1 }))!.succeeded).toEqual([second]);
    expect(ses.emails).toHaveLength(1);
  });

  test('a failed e-mail is retried, the retry sends it once and does not repeat the in-app item', async () => {
    const m = message({ userId: 'user-f', channels: ['in-app', 'email'], email: 'f@a.example' });
    const [id] = await send(m);
    // A non-retryable error (the SDK itself retries throttling errors such as TooManyRequestsException).
    ses.failNext(1, { type: 'MessageRejected', status: 400 });

    const first = (await sqs.deliver(queueUrl, worker))!;
    expect(first.failed).toEqual([id]);
    expect(ses.emails).toHaveLength(0);
    expect(await inAppItems('tenant-w', 'user-f')).toHaveLength(1);

    const second = (await sqs.deliver(queueUrl, worker))!;
    expect(second.succeeded).toEqual([id]);
    expect(second.event.Records[0].attributes.ApproximateReceiveCount).toBe('2');
    expect(ses.emails).toHaveLength(1);
    expect(ses.emails[0].body.Destination).toEqual({ ToAddresses: ['f@a.example'] });
    expect(await inAppItems('tenant-w', 'user-f')).toHaveLength(1);
  });
});

describe('end to end: API -> queue -> worker -> API', () => {
  const A: Identity = { tenantId: 'tenant-e', sub: 'user-e', email: 'e@e.example' };
  const B: Identity = { tenantId: 'tenant-f', sub: 'user-e', email: 'e@f.example' };

  test('a notification posted by the API is listed for its user only', async () => {
    const posted = parseResponse(await api(apiEvent({
      method: 'POST',
      resource: '/api/notifications',
      identity: A,
      body: { channels: ['in-app', 'email'], template: 'quota-warning', data: { usedPercent: '93' } },
    }), lambdaContext()));
    expect(posted.statusCode).toBe(202);

    const report = (await sqs.deliver(queueUrl, worker))!;
    expect(report.succeeded).toHaveLength(1);
    expect(ses.emails.map((e) => e.body.Destination.ToAddresses)).toEqual([['e@e.example']]);
    expect(ses.emails[0].body.Content.Template).toEqual({ TemplateName: `${PREFIX}quota-warning`, TemplateData: '{"usedPercent":"93"}' });

    const listed = parseResponse(await api(apiEvent({ method: 'GET', resource: '/api/notifications', identity: A }), lambdaContext()));
    expect(listed.body.items).toEqual([expect.objectContaining({ id: posted.body.id, template: 'quota-warning', data: { usedPercent: '93' }, read: false })]);
    const other = parseResponse(await api(apiEvent({ method: 'GET', resource: '/api/notifications', identity: B }), lambdaContext()));
    expect(other.body.items).toEqual([]);
  });
});

describe('emulator', () => {
  test('speaks SendMessage with MD5 checks and attributes, and reports unknown queues', async () => {
    const sent = await client.send(new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: 'héllo',
      MessageAttributes: { kind: { DataType: 'String', StringValue: 'test' }, blob: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) } },
    }));
    // The SDK checks this too (and throws on a mismatch).
    expect(sent.MD5OfMessageBody).toBe(createHash('md5').update('héllo', 'utf8').digest('hex'));
    const record = (await sqs.deliver(queueUrl, () => undefined))!.event.Records[0];
    expect(record).toMatchObject({
      messageId: sent.MessageId,
      body: 'héllo',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:000000000000:notifications',
      messageAttributes: { kind: { dataType: 'String', stringValue: 'test', stringListValues: [], binaryListValues: [] }, blob: { dataType: 'Binary', binaryValue: 'AQID' } },
      attributes: { ApproximateReceiveCount: '1' },
    });
    expect(sent.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    await expect(client.send(new SendMessageCommand({ QueueUrl: `${sqs.endpoint}/000000000000/missing`, MessageBody: 'x' }))).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
    await expect(client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: 'x' })) })))
      .rejects.toMatchObject({ name: 'TooManyEntriesInBatchRequest' });
  });
});

describe('SES templates', () => {
  test('the stack defines exactly the variables the API requires for each template', async () => {
    // Loaded here only: the stack module pulls in aws-cdk-lib.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { NOTIFICATION_TEMPLATES } = require('../../infra/events-stack') as typeof import('../../infra/events-stack');
    expect(Object.keys(NOTIFICATION_TEMPLATES).sort()).toEqual(Object.keys(TEMPLATE_VARIABLES).sort());
    for (const [name, template] of Object.entries(NOTIFICATION_TEMPLATES)) {
      const used = new Set([...`${template.subject} ${template.text}`.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]));
      expect([name, [...used].sort()]).toEqual([name, [...TEMPLATE_VARIABLES[name as keyof typeof TEMPLATE_VARIABLES]].sort()]);
    }
  }, 30_000);
});
