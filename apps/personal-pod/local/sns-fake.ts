/**
 * A stand-in for the SNS topic in front of PersonalPod's index queue, on loopback: it answers the
 * SNS Publish call (AWS Query protocol, as @aws-sdk/client-sns sends it) for its one topic and
 * delivers each message raw to the subscribed SQS queues (the kit's SQS emulator), as the
 * WorkQueue's fan-out subscription (rawMessageDelivery) does in AWS. Anything else (another
 * topic, another action) is answered with SNS's error shape. Not emulated: signatures, filter
 * policies, subscription management.
 */
import { randomUUID } from 'crypto';
import { createServer } from 'http';
import type { AddressInfo } from 'net';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { readBody } from '../../kit/local/read-body';

export interface SnsFake {
  /** `http://127.0.0.1:<port>` (SNS_ENDPOINT). */
  readonly endpoint: string;
  /** The topic's ARN (NOTIFICATIONS_TOPIC_ARN). */
  readonly topicArn: string;
  /** Every message published, oldest first. */
  readonly published: readonly string[];
  stop(): Promise<void>;
}

export interface SnsFakeOptions {
  readonly topicName: string;
  /** SQS endpoint and the URLs of the queues subscribed to the topic. */
  readonly sqsEndpoint: string;
  readonly queueUrls: readonly string[];
  readonly region?: string;
}

const xml = (body: string) => `<?xml version="1.0"?>\n${body}`;
const escape = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startSnsFake(options: SnsFakeOptions): Promise<SnsFake> {
  const region = options.region ?? process.env.AWS_REGION ?? 'eu-west-1';
  const topicArn = `arn:aws:sns:${region}:000000000000:${options.topicName}`;
  const sqs = new SQSClient({ endpoint: options.sqsEndpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const published: string[] = [];

  const server = createServer((req, res) => {
    const fail = (status: number, code: string, message: string) => {
      res.writeHead(status, { 'content-type': 'text/xml' });
      res.end(xml(`<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${escape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`));
    };
    void (async () => {
      const body = await readBody(req, 512 * 1024);
      if (!body) return fail(413, 'RequestEntityTooLarge', 'request too large');
      const params = new URLSearchParams(body.toString('utf8'));
      if (req.method !== 'POST' || params.get('Action') !== 'Publish') return fail(400, 'InvalidAction', `only Publish is supported, not ${params.get('Action')}`);
      if (params.get('TopicArn') !== topicArn) return fail(404, 'NotFound', 'Topic does not exist');
      const message = params.get('Message');
      if (!message) return fail(400, 'InvalidParameter', 'Message is required');
      if (Buffer.byteLength(message) > 256 * 1024) return fail(400, 'InvalidParameter', 'Message too long');
      published.push(message);
      // Raw delivery: the queue receives the message body as published.
      await Promise.all(options.queueUrls.map((QueueUrl) => sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: message }))));
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(xml(`<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${randomUUID()}</MessageId></PublishResult>`
        + `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`));
    })().catch((err) => fail(500, 'InternalError', String(err)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    topicArn,
    published,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      sqs.destroy();
    },
  };
}
