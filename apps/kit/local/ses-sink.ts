/**
 * An SES (v2) sink on loopback for handler tests and local mode: accepts @aws-sdk/client-sesv2
 * `SendEmail` (REST-JSON, `POST /v2/email/outbound-emails`), records each request and answers
 * with a message id. Nothing is sent anywhere. `failNext()` makes the next calls fail as SES
 * would (e.g. `MessageRejected`), to test retries.
 *
 *   const ses = await startSesSink();
 *   process.env.SES_ENDPOINT = ses.endpoint;
 *   ... code under test sends e-mail ...
 *   expect(ses.emails[0].body.Content.Template.TemplateName).toBe('prefix-share-created');
 */
import { randomUUID } from 'crypto';
import { IncomingMessage, Server, ServerResponse, createServer } from 'http';
import { AddressInfo } from 'net';
import { readBody } from './read-body';

const SEND_EMAIL_PATH = '/v2/email/outbound-emails';
/** SES v2 accepts messages up to 40 MB; template sends are tiny, so the sink caps requests lower. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

/** One accepted SendEmail request. */
export interface RecordedEmail {
  /** The message id the sink answered with. */
  readonly messageId: string;
  readonly receivedAt: Date;
  /** Request headers (lower-case names), e.g. `authorization`, `user-agent`. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The parsed JSON request body (SendEmailRequest shape: FromEmailAddress, Destination, Content, ...). */
  readonly body: any;
}

/** An error the sink answers with instead of accepting a request. */
export interface InjectedFailure {
  /** @default 400 */
  readonly status?: number;
  /** Error type, e.g. `MessageRejected`, `TooManyRequestsException`, `SendingPausedException`. @default 'MessageRejected' */
  readonly type?: string;
  readonly message?: string;
}

export interface SesSink {
  /** `http://127.0.0.1:<port>`: the SESv2Client's `endpoint` (SES_ENDPOINT). */
  readonly endpoint: string;
  /** Accepted requests, oldest first. */
  readonly emails: readonly RecordedEmail[];
  /** Makes the next `count` SendEmail calls fail with `failure` (they are not recorded). */
  failNext(count?: number, failure?: InjectedFailure): void;
  /** Calls `listener` for each accepted request (local mode prints them). */
  onEmail(listener: (email: RecordedEmail) => void): void;
  /** Forgets the recorded requests and pending failures. */
  clear(): void;
  stop(): Promise<void>;
}

export async function startSesSink(): Promise<SesSink> {
  const emails: RecordedEmail[] = [];
  const failures: InjectedFailure[] = [];
  const listeners: ((email: RecordedEmail) => void)[] = [];

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => reply(res, 500, 'InternalFailure', String(err)));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (path !== SEND_EMAIL_PATH) {
      return reply(res, 404, 'NotFoundException', `The sink only implements SendEmail (POST ${SEND_EMAIL_PATH}), not ${req.method} ${path}`);
    }
    if (req.method !== 'POST') return reply(res, 405, 'MethodNotAllowed', `${req.method} is not allowed on ${SEND_EMAIL_PATH}`);
    const raw = await readBody(req, MAX_REQUEST_BYTES);
    if (raw === undefined) return reply(res, 413, 'BadRequestException', `Request body is larger than ${MAX_REQUEST_BYTES} bytes`);
    let body: any;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return reply(res, 400, 'BadRequestException', 'Request body is not JSON');
    }
    // The fields SES itself requires before it accepts a message.
    if (typeof body?.Content !== 'object' || body.Content === null) {
      return reply(res, 400, 'BadRequestException', 'Content is required');
    }
    if (!body.FromEmailAddress && !body.FromEmailAddressIdentityArn) {
      return reply(res, 400, 'BadRequestException', 'FromEmailAddress is required (no default sender identity in the sink)');
    }
    const failure = failures.shift();
    if (failure) return reply(res, failure.status ?? 400, failure.type ?? 'MessageRejected', failure.message ?? 'Rejected by the SES sink (injected failure)');

    const email: RecordedEmail = { messageId: `sink-${randomUUID()}`, receivedAt: new Date(), headers: { ...req.headers }, body };
    emails.push(email);
    for (const listener of listeners) listener(email);
    res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID() });
    res.end(JSON.stringify({ MessageId: email.messageId }));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    emails,
    failNext(count = 1, failure = {}) {
      for (let i = 0; i < count; i++) failures.push(failure);
    },
    onEmail(listener) {
      listeners.push(listener);
    },
    clear() {
      emails.length = 0;
      failures.length = 0;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An error in the REST-JSON shape the SDK reads (type in `x-amzn-ErrorType`, text in `message`). */
function reply(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type, 'x-amzn-requestid': randomUUID() });
  res.end(JSON.stringify({ message }));
}
