/**
 * `npm run local` (projen task `local`): CloudVault on localhost (see local-cloudvault.ts).
 *
 *   --port <n>   API port (default PORT or 3000; 0 picks a free port)
 *   --verbose    handler logs and one access log line per request
 *
 * Prints the URL, a dev token for each demo user and a few curl examples; Ctrl-C (SIGINT) or
 * SIGTERM stops the API, DynamoDB Local and the S3 emulator, then exits 0.
 */
import { LOCAL_JOBS, LocalCloudVault, startLocalCloudVault } from './local-cloudvault';
import { DevUser } from '../../kit/local/dev-tokens';

/** The demo users: one admin in tenant-a, one member in tenant-b. */
export const DEMO_USERS: ReadonlyArray<{ readonly name: string; readonly user: DevUser }> = [
  { name: 'alice', user: { sub: 'alice', email: 'alice@tenant-a.example', tenantId: 'tenant-a', groups: ['admin'] } },
  { name: 'bob', user: { sub: 'bob', email: 'bob@tenant-b.example', tenantId: 'tenant-b', groups: ['member'] } },
];

/** Dev tokens of local mode last a working day (Cognito's ID tokens: one hour). */
const TOKEN_TTL_SECONDS = 12 * 3600;

interface Args {
  readonly port: number;
  readonly verbose: boolean;
}

function usage(message?: string): never {
  if (message) console.error(message);
  console.error('Usage: npm run local -- [--port <n>] [--verbose]');
  process.exit(message ? 2 : 0);
}

function parseArgs(argv: readonly string[]): Args {
  let port = process.env.PORT !== undefined && process.env.PORT !== '' ? Number(process.env.PORT) : 3000;
  let verbose = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--verbose' || arg === '-v') verbose = true;
    else if (arg === '--port' || arg === '-p') port = Number(argv[++i]);
    else if (arg.startsWith('--port=')) port = Number(arg.slice('--port='.length));
    else if (arg === '--help' || arg === '-h') usage();
    else usage(`Unknown argument: ${arg}`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) usage('--port must be an integer from 0 to 65535');
  return { port, verbose };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  console.log('Starting CloudVault local mode (DynamoDB Local, S3 emulator, API)...');
  let local: LocalCloudVault;
  try {
    local = await startLocalCloudVault({ port: args.port, verbose: args.verbose });
  } catch (err) {
    console.error(`Could not start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      console.error(`${signal} again: exiting now`);
      process.exit(1); // DynamoDB Local is killed by its exit hook
    }
    stopping = true;
    console.log(`\n${signal}: stopping...`);
    local.stop().then(
      () => {
        console.log('CloudVault local mode stopped.');
        process.exit(0);
      },
      (err) => {
        console.error(`Stopping failed: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  const tokens: Record<string, string> = {};
  for (const { name, user } of DEMO_USERS) tokens[name] = await local.addUser(user, { ttlSeconds: TOKEN_TTL_SECONDS });

  const u = local.url;
  const lines = [
    '',
    `CloudVault API listening on ${u}`,
    `  DynamoDB Local  ${local.dynamoDb.endpoint}  table ${local.tableName}`,
    `  S3 emulator     ${local.s3.endpoint}  bucket ${local.bucket}`,
    '',
    `Dev tokens (valid ${TOKEN_TTL_SECONDS / 3600} h, signed by this process only):`,
    ...DEMO_USERS.map(({ name, user }) => `  export ${name.toUpperCase()}=${tokens[name]}   # ${user.email}, ${user.tenantId}, ${user.groups?.join(',')}`),
    '',
    'Try:',
    `  curl ${u}/api/health`,
    `  curl -H "Authorization: Bearer $ALICE" ${u}/api/folders`,
    `  curl -X POST -H "Authorization: Bearer $ALICE" -H 'Content-Type: application/json' -d '{"name":"Reports"}' ${u}/api/folders`,
    `  curl -X POST -H "Authorization: Bearer $BOB" -H 'Content-Type: application/json' -d '{"name":"hello.txt","contentType":"text/plain","size":5}' ${u}/api/files`,
    `  curl -X POST ${u}/local/jobs/cleanup      # scheduled jobs on demand: ${Object.keys(LOCAL_JOBS).join(', ')}`,
    '',
    `${args.verbose ? 'Handler logs follow. ' : 'Handler logs: --verbose. '}Ctrl-C stops.`,
  ];
  console.log(lines.join('\n'));
}

void main();
