/**
 * A stand-in for STS's AssumeRole on loopback (the AWS query protocol: a form-encoded POST, an XML
 * answer), for the tenant-credentials tests and bench/tenant-credentials.ts. It records every
 * request's parameters and hands out session credentials named after the tenant tag, valid for
 * `sessionSeconds`.
 */
import { Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';

export interface StsStub {
  /** `http://127.0.0.1:<port>` for STS_ENDPOINT. */
  readonly endpoint: string;
  /** The form parameters of every request so far, in order. */
  readonly requests: Record<string, string>[];
  /** Lifetime of the credentials it hands out from now on (default 900 s). */
  sessionSeconds: number;
  stop(): Promise<void>;
}

export async function startStsStub(): Promise<StsStub> {
  const requests: Record<string, string>[] = [];
  let issued = 0;
  const stub: { sessionSeconds: number } = { sessionSeconds: 900 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      requests.push(params);
      issued += 1;
      const tenant = params['Tags.member.1.Value'] ?? 'none';
      const expiration = new Date(Date.now() + stub.sessionSeconds * 1000).toISOString();
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>ASIA${tenant.toUpperCase().replace(/[^A-Z0-9]/g, '')}${issued}</AccessKeyId><SecretAccessKey>secret-${tenant}-${issued}</SecretAccessKey>
<SessionToken>token-${tenant}-${issued}</SessionToken><Expiration>${expiration}</Expiration></Credentials>
<AssumedRoleUser><Arn>${params.RoleArn}/${params.RoleSessionName}</Arn><AssumedRoleId>AROA0000:${params.RoleSessionName}</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>req-${issued}</RequestId></ResponseMetadata></AssumeRoleResponse>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(stub, {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  });
}
