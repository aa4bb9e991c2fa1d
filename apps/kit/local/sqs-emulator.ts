/**
 * An SQS emulator on loopback for handler tests and local mode: enough of the SQS AWS JSON 1.0
 * protocol for @aws-sdk/client-sqs `SendMessage`, `SendMessageBatch` and `GetQueueUrl`, with the
 * queue semantics a Lambda event source mapping gives a consumer: messages are delivered in
 * batches as real-shaped SQSEvents, `batchItemFailures` (ReportBatchItemFailures) return only the
 * failed messages to the queue, and a message that failed `maxReceiveCount` times moves to the
 * queue's dead-letter queue.
 *
 *   const sqs = await startSqsEmulator();
 *   process.env.SQS_ENDPOINT = sqs.endpoint;
 *   const url = sqs.createQueue('notifications', { deadLetterQueue: sqs.createQueue('notifications-dlq'), maxReceiveCount: 3 });
 *   ... code under test sends to `url` ...
 *   const report = await sqs.deliver(url, (event) => handler(event, lambdaContext()));
 *
 * Local mode uses `subscribe(url, consumer)` instead: every send triggers a delivery, failed
 * messages are retried after `retryDelayMs`.
 */
import { createHash, randomUUID } from 'crypto';
import { IncomingMessage, Server, ServerResponse, createServer } from 'http';
import { AddressInfo } from 'net';
import type { SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { readBody } from './read-body';

/** Account id in the emulator's queue URLs and ARNs. */
export const EMULATOR_ACCOUNT_ID = '000000000000';
/** SQS's classic message size limit; the emulator refuses larger bodies (and batches) so code stays portable. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
const MAX_BATCH_ENTRIES = 10;
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

export interface QueueOptions {
  /** URL (or name) of the queue failed messages move to after `maxReceiveCount` receives. */
  readonly deadLetterQueue?: string;
  /** Receives before a failing message moves to the dead-letter queue. @default 5 */
  readonly maxReceiveCount?: number;
}

/** A message attribute as sent (SQS API shape). */
export interface MessageAttributeValue {
  readonly DataType: string;
  readonly StringValue?: string;
  /** Base64, as in the JSON protocol. */
  readonly BinaryValue?: string;
}

/** A message in (or once in) a queue. */
export interface EmulatedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly messageAttributes: Record<string, MessageAttributeValue>;
  readonly md5OfMessageAttributes?: string;
  readonly sentTimestamp: number;
  readonly delaySeconds?: number;
  /** Times it was delivered to a consumer. */
  receiveCount: number;
  firstReceiveTimestamp?: number;
  /** Not delivered before this time (epoch ms): set when a delivery failed. */
  visibleAt: number;
}

/** Called with each batch; return `batchItemFailures` for the records that failed (or throw to fail all). */
export type SqsConsumer = (event: SQSEvent) => Promise<SQSBatchResponse | void | undefined> | SQSBatchResponse | void | undefined;

/** The outcome of one delivered batch. */
export interface DeliveryReport {
  /** The event the consumer got (deliver it again to simulate a redelivery). */
  readonly event: SQSEvent;
  /** Deleted from the queue. */
  readonly succeeded: string[];
  /** Returned to the queue for another receive. */
  readonly failed: string[];
  /** Moved to the dead-letter queue (failed for the `maxReceiveCount`-th time). */
  readonly deadLettered: string[];
  /** What the consumer threw, when it threw (the whole batch failed). */
  readonly error?: unknown;
}

export interface DeliverOptions {
  /** Records per event (1-10, the event source mapping's BatchSize). @default 10 */
  readonly batchSize?: number;
  /**
   * How long failed messages stay invisible before they can be delivered again (the queue's
   * visibility timeout). @default 0 (tests redeliver at once)
   */
  readonly visibilityTimeoutMs?: number;
}

export interface SubscribeOptions extends DeliverOptions {
  /** Delay before failed messages are delivered again (the visibility timeout). @default 1000 */
  readonly retryDelayMs?: number;
  /** Called with each report (errors included). */
  readonly onReport?: (report: DeliveryReport) => void;
}

export interface SqsEmulator {
  /** `http://127.0.0.1:<port>`: the SQSClient's `endpoint` (SQS_ENDPOINT). */
  readonly endpoint: string;
  readonly region: string;
  /** Creates a queue (idempotent) and returns its URL. */
  createQueue(name: string, options?: QueueOptions): string;
  /** URL of a queue by name. */
  queueUrl(name: string): string;
  /** ARN of a queue by URL or name (the records' eventSourceARN). */
  queueArn(queue: string): string;
  /** Messages currently in the queue (not yet deleted or dead-lettered), oldest first. */
  messages(queue: string): readonly EmulatedMessage[];
  /** Every message ever accepted by the queue, oldest first (deleted ones included). */
  sent(queue: string): readonly EmulatedMessage[];
  /** Delivers one batch of the queue's available messages to `consumer`; undefined when the queue is empty. */
  deliver(queue: string, consumer: SqsConsumer, options?: DeliverOptions): Promise<DeliveryReport | undefined>;
  /** Delivers batches until no message is available (all succeeded or were dead-lettered) or `maxBatches` ran. */
  drain(queue: string, consumer: SqsConsumer, options?: DeliverOptions & { maxBatches?: number }): Promise<DeliveryReport[]>;
  /** Delivers automatically after every send, retrying failures; returns an unsubscribe function. */
  subscribe(queue: string, consumer: SqsConsumer, options?: SubscribeOptions): () => void;
  /** Removes every message (history included). */
  purge(queue: string): void;
  stop(): Promise<void>;
}

interface Queue {
  readonly name: string;
  readonly options: QueueOptions;
  readonly messages: EmulatedMessage[];
  readonly history: EmulatedMessage[];
  readonly inFlight: Set<string>;
  readonly listeners: Set<() => void>;
}

/** An SQS error as the JSON protocol returns it. */
class SqsError extends Error {
  constructor(readonly type: string, message: string, readonly status = 400) {
    super(message);
  }
}

export async function startSqsEmulator(options: { region?: string } = {}): Promise<SqsEmulator> {
  const region = options.region ?? process.env.AWS_REGION ?? 'eu-west-1';
  const queues = new Map<string, Queue>();
  const timers = new Set<NodeJS.Timeout>();

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => reply(res, 500, { __type: 'com.amazonaws.sqs#InternalError', message: String(err) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;

  const urlOf = (name: string) => `${endpoint}/${EMULATOR_ACCOUNT_ID}/${name}`;
  const arnOf = (name: string) => `arn:aws:sqs:${region}:${EMULATOR_ACCOUNT_ID}:${name}`;
  /** A queue by URL or name; the SDK sends the URL it was given. */
  function queueOf(queue: string | undefined): Queue {
    const name = queue === undefined ? '' : queue.replace(/\/+$/, '').split('/').pop() ?? '';
    const found = queues.get(name);
    if (!found) throw new SqsError('com.amazonaws.sqs#QueueDoesNotExist', `The specified queue does not exist: ${queue}`);
    return found;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = String(req.headers['x-amz-target'] ?? '');
    try {
      if (req.method !== 'POST' || !target.startsWith('AmazonSQS.')) {
        throw new SqsError('com.amazonaws.sqs#InvalidAction', `Expected a POST with X-Amz-Target AmazonSQS.<Action>, got ${req.method} ${target || '(none)'}`);
      }
      const raw = await readBody(req, MAX_REQUEST_BYTES);
      if (raw === undefined) throw new SqsError('com.amazonaws.sqs#RequestTooLong', `Request bodies are limited to ${MAX_REQUEST_BYTES} bytes`, 413);
      const input = JSON.parse(raw.toString('utf8') || '{}') as Record<string, any>;
      const action = target.slice('AmazonSQS.'.length);
      if (action === 'SendMessage') return reply(res, 200, sendMessage(queueOf(input.QueueUrl), input));
      if (action === 'SendMessageBatch') return reply(res, 200, sendMessageBatch(queueOf(input.QueueUrl), input));
      if (action === 'GetQueueUrl') return reply(res, 200, { QueueUrl: urlOf(queueOf(input.QueueName).name) });
      throw new SqsError('com.amazonaws.sqs#UnsupportedOperation', `${action} is not supported by the emulator`);
    } catch (err) {
      if (err instanceof SqsError) return reply(res, err.status, { __type: err.type, message: err.message });
      if (err instanceof SyntaxError) return reply(res, 400, { __type: 'com.amazonaws.sqs#InvalidParameterValue', message: 'Request body is not JSON' });
      throw err;
    }
  }

  function accept(input: Record<string, any>): EmulatedMessage {
    const body = input.MessageBody;
    if (typeof body !== 'string' || body.length === 0) {
      throw new SqsError('com.amazonaws.sqs#MissingParameter', 'The request must contain the parameter MessageBody.');
    }
    if (Buffer.byteLength(body, 'utf8') > MAX_MESSAGE_BYTES) {
      throw new SqsError('com.amazonaws.sqs#InvalidParameterValue', `One or more parameters are invalid. Reason: Message must be shorter than ${MAX_MESSAGE_BYTES} bytes.`);
    }
    // Only these characters are allowed in SQS messages.
    // eslint-disable-next-line no-control-regex
    if (/[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(body)) {
      throw new SqsError('com.amazonaws.sqs#InvalidMessageContents', 'Invalid characters found in the message body.');
    }
    const attributes = (input.MessageAttributes ?? {}) as Record<string, MessageAttributeValue>;
    const message: EmulatedMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: md5(body),
      messageAttributes: attributes,
      md5OfMessageAttributes: Object.keys(attributes).length > 0 ? md5OfAttributes(attributes) : undefined,
      sentTimestamp: Date.now(),
      delaySeconds: input.DelaySeconds,
      receiveCount: 0,
      visibleAt: 0,
    };
    return message;
  }

  function enqueue(queue: Queue, messages: EmulatedMessage[]): void {
    queue.messages.push(...messages);
    queue.history.push(...messages);
    for (const listener of queue.listeners) listener();
  }

  function sendMessage(queue: Queue, input: Record<string, any>) {
    const message = accept(input);
    enqueue(queue, [message]);
    return { MessageId: message.messageId, MD5OfMessageBody: message.md5OfBody, MD5OfMessageAttributes: message.md5OfMessageAttributes };
  }

  function sendMessageBatch(queue: Queue, input: Record<string, any>) {
    const entries = (input.Entries ?? []) as Record<string, any>[];
    if (entries.length === 0) throw new SqsError('com.amazonaws.sqs#EmptyBatchRequest', 'There should be at least one SendMessageBatchRequestEntry in the request.');
    if (entries.length > MAX_BATCH_ENTRIES) throw new SqsError('com.amazonaws.sqs#TooManyEntriesInBatchRequest', `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`);
    const ids = entries.map((e) => e.Id);
    if (new Set(ids).size !== ids.length) throw new SqsError('com.amazonaws.sqs#BatchEntryIdsNotDistinct', 'Two or more batch entries in the request have the same Id.');
    const badId = ids.find((id) => typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,80}$/.test(id));
    if (badId !== undefined) throw new SqsError('com.amazonaws.sqs#InvalidBatchEntryId', `A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long: ${badId}`);
    const total = entries.reduce((sum, e) => sum + Buffer.byteLength(typeof e.MessageBody === 'string' ? e.MessageBody : '', 'utf8'), 0);
    if (total > MAX_MESSAGE_BYTES) throw new SqsError('com.amazonaws.sqs#BatchRequestTooLong', `Batch requests cannot be longer than ${MAX_MESSAGE_BYTES} bytes. You have sent ${total} bytes.`);

    const Successful: Record<string, unknown>[] = [];
    const Failed: Record<string, unknown>[] = [];
    const accepted: EmulatedMessage[] = [];
    for (const entry of entries) {
      try {
        const message = accept(entry);
        accepted.push(message);
        Successful.push({
          Id: entry.Id,
          MessageId: message.messageId,
          MD5OfMessageBody: message.md5OfBody,
          MD5OfMessageAttributes: message.md5OfMessageAttributes,
        });
      } catch (err) {
        if (!(err instanceof SqsError)) throw err;
        Failed.push({ Id: entry.Id, SenderFault: true, Code: err.type.split('#')[1], Message: err.message });
      }
    }
    enqueue(queue, accepted);
    return { Successful, Failed };
  }

  function toRecord(queue: Queue, message: EmulatedMessage): SQSRecord {
    const messageAttributes: SQSMessageAttributes = {};
    for (const [name, value] of Object.entries(message.messageAttributes)) {
      messageAttributes[name] = {
        dataType: value.DataType,
        ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
        ...(value.BinaryValue !== undefined ? { binaryValue: value.BinaryValue } : {}),
        stringListValues: [],
        binaryListValues: [],
      };
    }
    return {
      messageId: message.messageId,
      receiptHandle: Buffer.from(`${message.messageId}#${message.receiveCount}#${randomUUID()}`).toString('base64'),
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentTimestamp),
        SenderId: 'AIDAEMULATOR0000000000',
        ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp),
      },
      messageAttributes,
      md5OfBody: message.md5OfBody,
      ...(message.md5OfMessageAttributes ? { md5OfMessageAttributes: message.md5OfMessageAttributes } : {}),
      eventSource: 'aws:sqs',
      eventSourceARN: arnOf(queue.name),
      awsRegion: region,
    } as SQSRecord;
  }

  async function deliver(queueRef: string, consumer: SqsConsumer, opts: DeliverOptions = {}): Promise<DeliveryReport | undefined> {
    const queue = queueOf(queueRef);
    const batchSize = opts.batchSize ?? MAX_BATCH_ENTRIES;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_ENTRIES) throw new Error(`batchSize must be 1-${MAX_BATCH_ENTRIES}, got ${batchSize}`);
    const now = Date.now();
    const batch = queue.messages.filter((m) => !queue.inFlight.has(m.messageId) && m.visibleAt <= now).slice(0, batchSize);
    if (batch.length === 0) return undefined;
    for (const m of batch) {
      queue.inFlight.add(m.messageId);
      m.receiveCount += 1;
      m.firstReceiveTimestamp ??= now;
    }
    const event: SQSEvent = { Records: batch.map((m) => toRecord(queue, m)) };

    let failedIds: Set<string>;
    let error: unknown;
    try {
      const response = await consumer(event);
      failedIds = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      // Lambda treats an identifier that is not in the batch (or an empty one) as a failure of the whole batch.
      if ([...failedIds].some((id) => !batch.some((m) => m.messageId === id))) failedIds = new Set(batch.map((m) => m.messageId));
    } catch (err) {
      error = err;
      failedIds = new Set(batch.map((m) => m.messageId));
    }

    const report: { succeeded: string[]; failed: string[]; deadLettered: string[] } = { succeeded: [], failed: [], deadLettered: [] };
    const dlq = queue.options.deadLetterQueue ? queueOf(queue.options.deadLetterQueue) : undefined;
    const maxReceiveCount = queue.options.maxReceiveCount ?? 5;
    for (const m of batch) {
      queue.inFlight.delete(m.messageId);
      if (!failedIds.has(m.messageId)) {
        remove(queue, m);
        report.succeeded.push(m.messageId);
      } else if (dlq && m.receiveCount >= maxReceiveCount) {
        remove(queue, m);
        // SQS keeps the message id when it moves a message to the dead-letter queue.
        enqueue(dlq, [{ ...m, receiveCount: 0, firstReceiveTimestamp: undefined, visibleAt: 0 }]);
        report.deadLettered.push(m.messageId);
      } else {
        m.visibleAt = Date.now() + (opts.visibilityTimeoutMs ?? 0);
        report.failed.push(m.messageId);
      }
    }
    return { event, ...report, ...(error === undefined ? {} : { error }) };
  }

  async function drain(queueRef: string, consumer: SqsConsumer, opts: DeliverOptions & { maxBatches?: number } = {}): Promise<DeliveryReport[]> {
    const reports: DeliveryReport[] = [];
    const maxBatches = opts.maxBatches ?? 100;
    while (reports.length < maxBatches) {
      const report = await deliver(queueRef, consumer, opts);
      if (!report) break;
      reports.push(report);
    }
    return reports;
  }

  function subscribe(queueRef: string, consumer: SqsConsumer, opts: SubscribeOptions = {}): () => void {
    const queue = queueOf(queueRef);
    let running = false;
    let active = true;
    const deliverOptions: DeliverOptions = { batchSize: opts.batchSize, visibilityTimeoutMs: opts.retryDelayMs ?? 1000 };
    const pump = async () => {
      if (running || !active) return;
      running = true;
      try {
        for (;;) {
          const report = await deliver(queueRef, consumer, deliverOptions);
          if (!report) break;
          opts.onReport?.(report);
        }
        // Failed messages come back when their visibility timeout ends.
        const next = Math.min(...queue.messages.map((m) => m.visibleAt));
        if (Number.isFinite(next)) {
          const timer = setTimeout(() => {
            timers.delete(timer);
            void pump();
          }, Math.max(10, next - Date.now()));
          timers.add(timer);
        }
      } finally {
        running = false;
      }
    };
    const listener = () => setImmediate(() => void pump());
    queue.listeners.add(listener);
    listener(); // messages sent before subscribing
    return () => {
      active = false;
      queue.listeners.delete(listener);
    };
  }

  return {
    endpoint,
    region,
    createQueue(name, queueOptions = {}) {
      if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new Error(`Invalid queue name ${name}`);
      if (!queues.has(name)) {
        queues.set(name, { name, options: queueOptions, messages: [], history: [], inFlight: new Set(), listeners: new Set() });
      }
      return urlOf(name);
    },
    queueUrl: (name) => urlOf(queueOf(name).name),
    queueArn: (queue) => arnOf(queueOf(queue).name),
    messages: (queue) => [...queueOf(queue).messages],
    sent: (queue) => [...queueOf(queue).history],
    deliver,
    drain,
    subscribe,
    purge(queue) {
      const q = queueOf(queue);
      q.messages.length = 0;
      q.history.length = 0;
    },
    async stop() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const q of queues.values()) q.listeners.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function remove(queue: Queue, message: EmulatedMessage): void {
  const index = queue.messages.indexOf(message);
  if (index >= 0) queue.messages.splice(index, 1);
}

function md5(text: string | Buffer): string {
  return createHash('md5').update(text).digest('hex');
}

/** MD5OfMessageAttributes as SQS computes it (names sorted; length-prefixed name, type, transport byte, value). */
export function md5OfAttributes(attributes: Record<string, MessageAttributeValue>): string {
  const parts: Buffer[] = [];
  const lengthPrefixed = (value: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(value.length);
    parts.push(length, value);
  };
  for (const name of Object.keys(attributes).sort()) {
    const value = attributes[name];
    lengthPrefixed(Buffer.from(name, 'utf8'));
    lengthPrefixed(Buffer.from(value.DataType, 'utf8'));
    if (value.BinaryValue !== undefined) {
      parts.push(Buffer.from([2]));
      lengthPrefixed(Buffer.from(value.BinaryValue, 'base64'));
    } else {
      parts.push(Buffer.from([1]));
      lengthPrefixed(Buffer.from(value.StringValue ?? '', 'utf8'));
    }
  }
  return md5(Buffer.concat(parts));
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(text);
}
