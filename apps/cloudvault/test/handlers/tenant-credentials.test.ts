import { Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { ddb, functionDdb, functionS3, presigner, s3 } from '../../handlers/lib/clients';
import { withApiHandler } from '../../handlers/lib/observability';
import { enterTenant, resetTenantCredentials, tenantCredentials, withRequestScope } from '../../handlers/lib/tenant-credentials';
import { StsStub, startStsStub } from '../support/sts-stub';

// The tenant-credentials seam (issue 17 Medium 5): which credentials the handlers' clients use, the
// exact AssumeRole request per tenant, and its caching. STS is a stub on loopback (no AWS).

const ROLE = 'arn:aws:iam::123456789012:role/CloudVault-dev-Api-TenantAccessRole';

/** A loopback "DynamoDB" that records the signature of each request and answers an empty GetItem. */
async function startSignatureRecorder(): Promise<{ endpoint: string; headers: Record<string, string | string[] | undefined>[]; server: Server }> {
  const headers: Record<string, string | string[] | undefined>[] = [];
  const server = createServer((req, res) => {
    headers.push(req.headers);
    req.resume().on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, headers, server };
}

const inTenantRequest = <T>(tenantId: string, fn: () => Promise<T>) => withRequestScope(async () => {
  enterTenant(tenantId);
  return fn();
});

describe('tenant-scoped credentials', () => {
  let sts: StsStub;
  const saved = { ...process.env };
  beforeAll(async () => {
    sts = await startStsStub();
    process.env.STS_ENDPOINT = sts.endpoint;
    process.env.AWS_REGION = 'eu-west-1';
    process.env.AWS_ACCESS_KEY_ID = 'AKIAFUNCTION'; // the function's own (for STS itself)
    process.env.AWS_SECRET_ACCESS_KEY = 'function-secret';
    process.env.S3_ENDPOINT = 'http://127.0.0.1:1'; // presigning only: nothing is sent
  });
  afterAll(async () => {
    process.env = saved;
    await sts.stop();
  });
  beforeEach(() => {
    sts.requests.length = 0;
    sts.sessionSeconds = 900;
  });
  afterEach(() => {
    delete process.env.TENANT_ACCESS_ROLE_ARN;
  });

  test('local mode (no TENANT_ACCESS_ROLE_ARN): a tenant request keeps the function\'s clients and calls no STS', async () => {
    const clients = await inTenantRequest('tenant-a', async () => [ddb(), s3()]);
    expect(clients[0]).toBe(functionDdb());
    expect(clients[1]).toBe(functionS3());
    expect(sts.requests).toEqual([]);
  });

  test('with the role configured: the tenant\'s own clients inside its request, the function\'s outside any request', async () => {
    process.env.TENANT_ACCESS_ROLE_ARN = ROLE;
    const [a1, a2, b] = [
      await inTenantRequest('tenant-a', async () => ({ ddb: ddb(), s3: s3(), presigner: presigner() })),
      await inTenantRequest('tenant-a', async () => ({ ddb: ddb(), s3: s3(), presigner: presigner() })),
      await inTenantRequest('tenant-b', async () => ({ ddb: ddb(), s3: s3(), presigner: presigner() })),
    ];
    expect(a1.ddb).not.toBe(functionDdb());
    expect(a1.s3).not.toBe(functionS3());
    expect(a2).toEqual(a1); // one set of clients per tenant per container
    expect(b.ddb).not.toBe(a1.ddb);
    expect(b.presigner).not.toBe(a1.presigner);
    // Outside a request, and inside one before the caller is known, the function's own.
    expect(ddb()).toBe(functionDdb());
    expect(await withRequestScope(async () => ddb())).toBe(functionDdb());
  });

  test('withApiHandler scopes the request to the caller\'s tenant once the caller is read', async () => {
    process.env.TENANT_ACCESS_ROLE_ARN = ROLE;
    const handler = withApiHandler(async (req) => {
      const before = ddb() === functionDdb();
      const tenant = req.caller.tenantId;
      const after = ddb() === functionDdb();
      return { statusCode: 200, body: JSON.stringify({ tenant, before, after }) };
    });
    const event = { httpMethod: 'GET', resource: '/api/files', requestContext: { requestId: 'r1', authorizer: { claims: { 'sub': 'u1', 'custom:tenantId': 'tenant-c' } } } };
    const res = await handler(event as unknown as APIGatewayProxyEvent, { awsRequestId: 'r1', functionName: 'files' } as Context);
    expect(JSON.parse(res.body)).toEqual({ tenant: 'tenant-c', before: true, after: false });
  });

  test('the AssumeRole request for a tenant: the role, a tenantId session tag, a session name, 15 minutes', async () => {
    process.env.TENANT_ACCESS_ROLE_ARN = ROLE;
    resetTenantCredentials();
    const credentials = await tenantCredentials('tenant-b')();
    expect(sts.requests).toEqual([{
      'Action': 'AssumeRole',
      'Version': '2011-06-15',
      'RoleArn': ROLE,
      'RoleSessionName': 'tenant-tenant-b',
      'DurationSeconds': '900',
      'Tags.member.1.Key': 'tenantId',
      'Tags.member.1.Value': 'tenant-b',
    }]);
    expect(credentials).toMatchObject({ accessKeyId: 'ASIATENANTB1', secretAccessKey: 'secret-tenant-b-1', sessionToken: 'token-tenant-b-1' });
    // A 64-character tenant id still gives a valid (at most 64-character) session name.
    await tenantCredentials('t'.repeat(64))();
    expect(sts.requests[1].RoleSessionName).toBe(`tenant-${'t'.repeat(57)}`);
  });

  test('one AssumeRole per tenant until shortly before its session expires (concurrent first calls coalesced)', async () => {
    process.env.TENANT_ACCESS_ROLE_ARN = ROLE;
    resetTenantCredentials();
    const b = tenantCredentials('tenant-b');
    await Promise.all([b(), b(), b()]);
    await b();
    expect(sts.requests.map((r) => r['Tags.member.1.Value'])).toEqual(['tenant-b']);
    expect(tenantCredentials('tenant-b')).toBe(b); // shared by the tenant's DynamoDB and S3 clients
    await tenantCredentials('tenant-c')();
    expect(sts.requests.map((r) => r['Tags.member.1.Value'])).toEqual(['tenant-b', 'tenant-c']);

    // A 15-minute session is used for 10 minutes: renewed once less than 5 minutes are left.
    resetTenantCredentials();
    sts.requests.length = 0;
    const start = Date.now();
    const now = jest.spyOn(Date, 'now');
    try {
      const d = tenantCredentials('tenant-d');
      const first = await d();
      now.mockReturnValue(start + 590_000);
      expect((await d()).accessKeyId).toBe(first.accessKeyId);
      expect(sts.requests.length).toBe(1);
      now.mockReturnValue(start + 601_000);
      expect((await d()).accessKeyId).not.toBe(first.accessKeyId);
      expect(sts.requests.length).toBe(2);
    } finally {
      now.mockRestore();
    }
  });

  test('tenant requests are signed with the tenant\'s session: DynamoDB calls and presigned URLs', async () => {
    const recorder = await startSignatureRecorder();
    process.env.DYNAMODB_ENDPOINT = recorder.endpoint;
    process.env.TENANT_ACCESS_ROLE_ARN = ROLE;
    try {
      const url = await inTenantRequest('tenant-e', async () => {
        await ddb().send(new GetCommand({ TableName: 't', Key: { pk: 'TENANT#tenant-e', sk: 'TENANT' } }));
        return getSignedUrl(presigner(), new GetObjectCommand({ Bucket: 'files', Key: 'tenants/tenant-e/files/f/v1' }), { expiresIn: 60 });
      });
      expect(String(recorder.headers[0].authorization)).toMatch(/Credential=ASIATENANTE\d+\//);
      expect(recorder.headers[0]['x-amz-security-token']).toMatch(/^token-tenant-e-\d+$/);
      const params = new URL(url).searchParams;
      expect(params.get('X-Amz-Credential')).toMatch(/^ASIATENANTE\d+\//);
      expect(params.get('X-Amz-Security-Token')).toMatch(/^token-tenant-e-\d+$/);
    } finally {
      delete process.env.DYNAMODB_ENDPOINT;
      await new Promise((resolve) => recorder.server.close(resolve));
    }
  });
});
