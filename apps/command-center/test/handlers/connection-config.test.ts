import '../../../kit/test/handler-env';
import { connectionConfig } from '../../../kit/handlers/postgres-connection';
import { cacheOptions, elastiCacheAuthToken } from '../../handlers/lib/cache';

// Local engines emulate neither RDS Proxy's IAM auth nor ElastiCache's: the seam is configuration,
// tested here. Tokens are presigned locally (no network) with the test environment's credentials.
const AWS_DB = { DB_HOST: 'cc-proxy.proxy-abc.eu-west-1.rds.amazonaws.com', DB_PORT: '5432', DB_NAME: 'command_center', DB_USER: 'command_center_app', DB_IAM_AUTH: 'true', AWS_REGION: 'eu-west-1' };

test('in AWS: the proxy over verified TLS, a fresh IAM token as the password of each connection, at most 2 connections', async () => {
  const config = connectionConfig(AWS_DB);
  expect(config).toMatchObject({ host: AWS_DB.DB_HOST, port: 5432, user: 'command_center_app', database: 'command_center', max: 2, ssl: { rejectUnauthorized: true } });
  expect(typeof config.password).toBe('function');
  const token = await (config.password as () => Promise<string>)();
  expect(token).toMatch(/^cc-proxy\.proxy-abc\.eu-west-1\.rds\.amazonaws\.com:5432\/\?Action=connect&DBUser=command_center_app&X-Amz-/);
  expect(token).toMatch(/X-Amz-Signature=[0-9a-f]{64}/);
  expect(token).toMatch(/X-Amz-Expires=900/);
});

test('locally: a plain password on loopback, no TLS', () => {
  expect(connectionConfig({ DB_HOST: '127.0.0.1', DB_PORT: '54321', DB_NAME: 'command_center', DB_USER: 'postgres', DB_PASSWORD: 'pw' }))
    .toMatchObject({ host: '127.0.0.1', port: 54321, password: 'pw', ssl: false, max: 2 });
});

test('a missing setting fails loudly', () => {
  expect(() => connectionConfig({ DB_HOST: 'h', DB_NAME: 'd' })).toThrow('DB_USER is not set');
});

test('ElastiCache: TLS and the IAM user with a presigned connect token (serverless)', async () => {
  const token = await elastiCacheAuthToken('cc-cache', 'cc-cache-app', 'eu-west-1');
  expect(token).toMatch(/^cc-cache\/\?Action=connect&User=cc-cache-app&ResourceType=ServerlessCache&X-Amz-Algorithm=AWS4-HMAC-SHA256/);
  expect(token).toMatch(/X-Amz-Expires=900/);
  const options = await cacheOptions({ CACHE_IAM_AUTH: 'true', CACHE_HOST: 'cc-cache.serverless.euw1.cache.amazonaws.com', CACHE_PORT: '6379', CACHE_NAME: 'cc-cache', CACHE_USER: 'cc-cache-app', AWS_REGION: 'eu-west-1' });
  expect(options).toMatchObject({ host: 'cc-cache.serverless.euw1.cache.amazonaws.com', port: 6379, tls: {}, username: 'cc-cache-app' });
  expect(String(options.password)).toMatch(/^cc-cache\/\?Action=connect/);
  expect(await cacheOptions({ CACHE_URL: 'redis://127.0.0.1:6390' })).toMatchObject({ url: 'redis://127.0.0.1:6390' });
});
