import { createServer, request, Server } from 'http';
import { AddressInfo } from 'net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { DevTokens, apiGatewayClaims } from '../../../kit/local/dev-tokens';
import { GatewayError, MAX_REQUEST_BYTES, apiGatewayAdapter, isTextContentType, matchRoute, tokenOf } from '../../../kit/local/http-adapter';
import { ROUTES, RouteDefinition } from '../../infra/routes';

// A real node:http server with the adapter in front of a fake handler that records its events
// and answers what the test tells it to.
const tokens = new DevTokens({ secret: 'adapter-test-secret-of-32-characters!!' });
const ALICE = tokens.issue({ sub: 'alice', email: 'alice@a.example', tenantId: 'tenant-a', groups: ['admin'] });

let events: APIGatewayProxyEvent[] = [];
let answer: (event: APIGatewayProxyEvent) => Promise<unknown> = async () => ({ statusCode: 200, body: '{"ok":true}' });
const integrationErrors: unknown[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer(apiGatewayAdapter({
    routes: ROUTES,
    invoke: async (_route, event) => {
      events.push(event);
      return answer(event);
    },
    authorize: (token) => {
      const r = tokens.verify(token);
      return r.ok ? { ok: true, claims: apiGatewayClaims(r.claims) } : { ok: false, expired: r.reason === 'expired' };
    },
    integrationTimeoutMs: 300,
    onIntegrationError: (_route, err) => integrationErrors.push(err),
  }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  events = [];
  integrationErrors.length = 0;
  answer = async () => ({ statusCode: 200, body: '{"ok":true}' });
});

const auth = (token = ALICE) => ({ Authorization: `Bearer ${token}` });

describe('route matching', () => {
  test.each([
    ['GET', '/api/folders', 'ListFolders', null],
    ['POST', '/api/folders', 'CreateFolder', null],
    ['GET', '/api/files/f-1/versions', 'ListVersions', { id: 'f-1' }],
    ['DELETE', '/api/files/f-1/upload', 'AbortUpload', { id: 'f-1' }],
    ['GET', '/api/shares/tok', 'OpenShare', { token: 'tok' }],
  ])('%s %s -> %s', (method, path, name, params) => {
    const m = matchRoute(ROUTES, method, path);
    expect(m).toEqual({ kind: 'route', route: expect.objectContaining({ name }), pathParameters: params });
  });

  test.each([
    ['GET', '/api/folders/'],
    ['GET', '/api/folders//x'],
    ['GET', '/api/files/a/b'],
    ['PUT', '/api/folders'],
    ['GET', '/api'],
  ])('%s %s matches nothing', (method, path) => {
    expect(matchRoute(ROUTES, method, path)).toEqual({ kind: 'none' });
  });

  test('a literal segment wins over a parameter', () => {
    const routes: RouteDefinition[] = [
      { name: 'Param', path: '/x/{id}', method: 'GET', handler: 'health' },
      { name: 'Literal', path: '/x/me', method: 'GET', handler: 'health' },
    ];
    expect(matchRoute(routes, 'GET', '/x/me')).toMatchObject({ route: { name: 'Literal' } });
    expect(matchRoute(routes, 'GET', '/x/other')).toMatchObject({ route: { name: 'Param' } });
  });
});

describe('the event', () => {
  test('an authenticated GET becomes the REST proxy event API Gateway sends', async () => {
    const res = await fetch(`${url}/api/folders/f%20x?tag=a&tag=b+c&q=%2Fetc&flag`, { headers: { ...auth(), 'X-Custom': 'one', 'user-agent': 'jest' } });
    expect(res.status).toBe(200);
    expect(events).toHaveLength(1);
    const e = events[0];
    expect(e).toMatchObject({
      resource: '/api/folders/{id}',
      path: '/api/folders/f%20x',
      httpMethod: 'GET',
      // Path parameters as sent (REST APIs do not decode them); query values decoded.
      pathParameters: { id: 'f%20x' },
      queryStringParameters: { tag: 'b c', q: '/etc', flag: '' },
      multiValueQueryStringParameters: { tag: ['a', 'b c'], q: ['/etc'], flag: [''] },
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
    });
    expect(e.headers).toMatchObject({ 'X-Custom': 'one', 'X-Forwarded-For': '127.0.0.1', 'X-Forwarded-Proto': 'http' });
    expect(e.headers['X-Amzn-Trace-Id']).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(e.multiValueHeaders['X-Custom']).toEqual(['one']);
    const rc = e.requestContext;
    expect(rc).toMatchObject({
      resourcePath: '/api/folders/{id}',
      httpMethod: 'GET',
      stage: 'v1',
      path: '/v1/api/folders/f%20x',
      protocol: 'HTTP/1.1',
      identity: { sourceIp: '127.0.0.1', userAgent: 'jest' },
    });
    expect(rc.requestTime).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(Math.abs(rc.requestTimeEpoch - Date.now())).toBeLessThan(5_000);
    // The request id is the one API Gateway returns to the client.
    expect(rc.requestId).toBe(res.headers.get('x-amzn-requestid'));
    expect(rc.authorizer?.claims).toMatchObject({ 'sub': 'alice', 'custom:tenantId': 'tenant-a', 'cognito:groups': 'admin' });
  });

  test('header names keep their spelling; repeated headers: last value in headers, all in multiValueHeaders', async () => {
    // node:http sends each value of an array as its own header line (fetch would fold them).
    const status = await new Promise<number>((resolve, reject) => {
      request(`${url}/api/folders`, { headers: { ...auth(), 'X-Multi': ['a', 'b'], 'x-LOWER-upper': 'v' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject).end();
    });
    expect(status).toBe(200);
    expect(events[0].headers).toMatchObject({ 'X-Multi': 'b', 'x-LOWER-upper': 'v' });
    expect(events[0].multiValueHeaders).toMatchObject({ 'X-Multi': ['a', 'b'], 'x-LOWER-upper': ['v'] });
  });

  test('a public route has no authorizer context and needs no token', async () => {
    await fetch(`${url}/api/health`);
    expect(events[0].requestContext.authorizer).toBeUndefined();
    expect(events[0].pathParameters).toBeNull();
    expect(events[0].queryStringParameters).toBeNull();
    expect(events[0].multiValueQueryStringParameters).toBeNull();
  });

  test('JSON bodies are passed as text, other content types base64-encoded', async () => {
    await fetch(`${url}/api/folders`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: '{"name":"Ünïcode"}' });
    expect(events[0]).toMatchObject({ body: '{"name":"Ünïcode"}', isBase64Encoded: false });
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);
    await fetch(`${url}/api/folders`, { method: 'POST', headers: { ...auth(), 'content-type': 'image/png' }, body: bytes });
    expect(events[1]).toMatchObject({ body: bytes.toString('base64'), isBase64Encoded: true });
  });

  test.each([
    [undefined, true], ['text/plain; charset=utf-8', true], ['application/json', true], ['application/vnd.api+json', true],
    ['application/x-www-form-urlencoded', true], ['application/xml', true], ['application/octet-stream', false], ['image/png', false],
  ])('content type %s is text: %s', (type, text) => {
    expect(isTextContentType(type)).toBe(text);
  });
});

describe('authorizer', () => {
  test.each([
    ['no Authorization header', {}],
    ['an empty header', { Authorization: '' }],
    ['Bearer without token', { Authorization: 'Bearer ' }],
    ['garbage', { Authorization: 'Bearer not.a.token' }],
    ['a token of another secret', { Authorization: `Bearer ${new DevTokens().issue({ sub: 'alice', email: 'a@a.example', tenantId: 'tenant-a' })}` }],
    ['another scheme', { Authorization: `Basic ${Buffer.from('alice:pw').toString('base64')}` }],
  ])('%s: 401 Unauthorized, handler not invoked', async (_case, headers) => {
    const res = await fetch(`${url}/api/folders`, { headers });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: 'Unauthorized' });
    expect(res.headers.get('x-amzn-errortype')).toBe('UnauthorizedException');
    expect(events).toHaveLength(0);
  });

  test('an expired token: 401 with the Cognito authorizer\'s message', async () => {
    const expired = tokens.issue({ sub: 'alice', email: 'a@a.example', tenantId: 'tenant-a' }, { ttlSeconds: -10 });
    const res = await fetch(`${url}/api/folders`, { headers: auth(expired) });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: 'The incoming token has expired' });
    expect(events).toHaveLength(0);
  });

  test('the raw token (no Bearer) and a lower-case scheme are accepted, like the Cognito authorizer', async () => {
    expect((await fetch(`${url}/api/folders`, { headers: { Authorization: ALICE } })).status).toBe(200);
    expect((await fetch(`${url}/api/folders`, { headers: { authorization: `bearer ${ALICE}` } })).status).toBe(200);
    expect(events).toHaveLength(2);
    expect(tokenOf('Bearer a b')).toBeUndefined();
  });

  test('unknown paths and other methods: 403 Missing Authentication Token, before the authorizer', async () => {
    for (const [method, path, headers] of [
      ['GET', '/api/nothing', {}],
      ['GET', '/', auth()],
      ['PUT', '/api/folders', auth()],
      ['DELETE', '/api/health', {}],
      ['OPTIONS', '/api/folders', {}],
    ] as const) {
      const res = await fetch(`${url}${path}`, { method, headers });
      expect([method, path, res.status]).toEqual([method, path, 403]);
      expect(await res.json()).toEqual({ message: 'Missing Authentication Token' });
    }
    expect(events).toHaveLength(0);
  });
});

describe('limits', () => {
  test('a body over 10 MiB gets API Gateway\'s 413, the handler is not invoked', async () => {
    const res = await fetch(`${url}/api/folders`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: 'x'.repeat(MAX_REQUEST_BYTES + 1) });
    expect(res.status).toBe(413);
    expect(await res.text()).toBe('HTTP content length exceeded 10485760 bytes.');
    expect(events).toHaveLength(0);
  });

  test('an event over Lambda\'s 6 MiB payload limit gets 413 Request Too Long', async () => {
    const res = await fetch(`${url}/api/folders`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: 'x'.repeat(7 * 1024 * 1024) });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ message: 'Request Too Long' });
    expect(events).toHaveLength(0);
  });
});

describe('the response', () => {
  test('status, headers and multiValueHeaders (which win) as API Gateway writes them', async () => {
    answer = async () => ({
      statusCode: 201,
      headers: { 'content-type': 'text/plain', 'x-one': 'header', 'x-both': 'single', 'x-number': 42, 'content-length': '999' },
      multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'], 'X-Both': ['multi'] },
      body: 'created',
    });
    const res = await fetch(`${url}/api/folders`, { headers: auth() });
    expect(res.status).toBe(201);
    expect(await res.text()).toBe('created');
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(res.headers.get('x-one')).toBe('header');
    expect(res.headers.get('x-number')).toBe('42');
    expect(res.headers.get('x-both')).toBe('multi');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
  });

  test('no content-type: application/json; isBase64Encoded bodies are decoded; no body: empty', async () => {
    answer = async () => ({ statusCode: 200, body: '{}' });
    expect((await fetch(`${url}/api/folders`, { headers: auth() })).headers.get('content-type')).toBe('application/json');
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);
    answer = async () => ({ statusCode: 200, headers: { 'content-type': 'image/png' }, body: png.toString('base64'), isBase64Encoded: true });
    expect(Buffer.from(await (await fetch(`${url}/api/folders`, { headers: auth() })).arrayBuffer())).toEqual(png);
    answer = async () => ({ statusCode: 302, headers: { location: 'http://example.com/x' } });
    const redirect = await fetch(`${url}/api/folders`, { headers: auth(), redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('http://example.com/x');
    expect(await redirect.text()).toBe('');
  });

  test.each([
    ['a thrown error', async () => { throw new Error('boom at handler.ts:12'); }],
    ['no statusCode', async () => ({ body: 'x' })],
    ['a non-string body', async () => ({ statusCode: 200, body: { a: 1 } })],
    ['undefined', async () => undefined],
    ['a header object value', async () => ({ statusCode: 200, headers: { x: { y: 1 } }, body: '' })],
  ])('%s: 502 Internal server error, nothing of the error leaks', async (_case, fn) => {
    answer = fn as typeof answer;
    const res = await fetch(`${url}/api/folders`, { headers: auth() });
    expect(res.status).toBe(502);
    expect(await res.text()).toBe('{"message":"Internal server error"}');
    expect(integrationErrors).toHaveLength(1);
  });

  test('a handler slower than the integration timeout: 504', async () => {
    answer = () => new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200, body: 'late' }), 1_000));
    const res = await fetch(`${url}/api/folders`, { headers: auth() });
    expect(res.status).toBe(504);
    expect(await res.json()).toEqual({ message: 'Endpoint request timed out' });
  });

  test('a GatewayError (handler not written yet) answers its status and message', async () => {
    answer = async () => { throw new GatewayError(501, 'Handler "files" is not implemented yet'); };
    const res = await fetch(`${url}/api/files`, { headers: auth() });
    expect(res.status).toBe(501);
    expect(await res.json()).toEqual({ message: 'Handler "files" is not implemented yet' });
    expect(integrationErrors).toHaveLength(0);
  });
});
