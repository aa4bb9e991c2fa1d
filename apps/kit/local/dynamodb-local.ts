/**
 * DynamoDB Local for handler tests and local mode: the jar shipped in the npm package
 * `amplify-dynamodb-simulator`, run with the machine's Java (17+) in memory on a free loopback
 * port, one database for all credentials (`-sharedDb`: handlers may sign with the S3 emulator's keys).
 * One instance per test file: `const db = await startDynamoDbLocal()` in beforeAll,
 * `await db.stop()` in afterAll.
 */
import { ChildProcess, spawn } from 'child_process';
import { existsSync, readdirSync, statSync } from 'fs';
import { AddressInfo, createServer } from 'net';
import * as path from 'path';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import type { TableSchema } from '../infra/table-schema';

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** A client for test setup and assertions. */
  readonly client: DynamoDBClient;
  /** Creates a table with the keys and GSIs of `schema` (the app's data stack builds from the same) and returns its name. */
  createTable(schema: TableSchema, name?: string): Promise<string>;
  stop(): Promise<void>;
}

/** Finds DynamoDBLocal.jar inside node_modules/amplify-dynamodb-simulator (its folder layout has changed between releases). */
export function findDynamoDbLocalJar(): string {
  const root = path.dirname(require.resolve('amplify-dynamodb-simulator/package.json'));
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    for (const entry of readdirSync(dir)) {
      const full = path.join(dir, entry);
      if (entry === 'DynamoDBLocal.jar') return full;
      if (entry !== 'node_modules' && statSync(full).isDirectory()) stack.push(full);
    }
  }
  throw new Error(`DynamoDBLocal.jar not found under ${root}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

// The JVM start has taken over 20 s on a loaded two-core CI machine; a slow start is not a failure.
export async function startDynamoDbLocal(timeoutMs = 90_000): Promise<DynamoDbLocal> {
  const jar = findDynamoDbLocalJar();
  const jarDir = path.dirname(jar);
  const libDir = path.join(jarDir, 'DynamoDBLocal_lib');
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn('java', [
    ...(existsSync(libDir) ? [`-Djava.library.path=${libDir}`] : []),
    '-jar', jar, '-inMemory', '-sharedDb', '-port', String(port),
  ], { cwd: jarDir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  // If the test process ends without afterAll (crash, Ctrl-C), do not leave a JVM behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const client = new DynamoDBClient({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    client.destroy();
    if (!exited) {
      child.kill('SIGTERM');
      await exit;
    }
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`DynamoDB Local exited during start-up: ${stderr}`);
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms: ${String(err)} ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  let tables = 0;
  return {
    endpoint,
    client,
    stop,
    async createTable(schema: TableSchema, name = `table-${++tables}`) {
      const key = (pk: string, sk?: string) => [
        { AttributeName: pk, KeyType: 'HASH' as const },
        ...(sk ? [{ AttributeName: sk, KeyType: 'RANGE' as const }] : []),
      ];
      const indexes = schema.globalSecondaryIndexes;
      const attributes = new Set<string>([schema.partitionKey, ...(schema.sortKey ? [schema.sortKey] : [])]);
      for (const gsi of indexes) [gsi.partitionKey, gsi.sortKey].forEach((a) => a && attributes.add(a));
      await client.send(new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes].map((a) => ({ AttributeName: a, AttributeType: 'S' as const })),
        KeySchema: key(schema.partitionKey, schema.sortKey),
        GlobalSecondaryIndexes: indexes.map((gsi) => ({
          IndexName: gsi.indexName,
          KeySchema: key(gsi.partitionKey, gsi.sortKey),
          Projection: { ProjectionType: 'ALL' as const },
        })),
      }));
      return name;
    },
  };
}
