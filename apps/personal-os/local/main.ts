/**
 * `npx projen personal-os:local`: Personal OS on localhost (see local-personal-os.ts).
 *
 *   --port <n>   API port (default PORT or 3000; 0 picks a free port)
 *   --verbose    handler logs and one access log line per request
 */
import { startLocalPersonalOs } from './local-personal-os';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const verbose = argv.includes('--verbose') || argv.includes('-v');
  const portFlag = argv.findIndex((a) => a === '--port' || a === '-p');
  const portArg = portFlag >= 0 ? argv[portFlag + 1] : process.env.PORT ?? '3000';
  const port = Number(portArg);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error('Usage: npx projen personal-os:local [--port <n>] [--verbose]');
    process.exit(2);
  }
  console.log('Starting Personal OS local mode (DynamoDB Local, API)...');
  const local = await startLocalPersonalOs({ port, verbose });
  const shutdown = () => local.stop().then(() => process.exit(0), () => process.exit(1));
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  const ttlSeconds = 12 * 3600;
  const alice = local.token({ sub: 'alice', email: 'alice@example.com' }, { ttlSeconds });
  const bob = local.token({ sub: 'bob', email: 'bob@example.com' }, { ttlSeconds });
  const u = local.url;
  console.log([
    '',
    `Personal OS API listening on ${u} (DynamoDB Local ${local.dynamoDb.endpoint}, table ${local.tableName})`,
    '',
    'Dev tokens (valid 12 h, signed by this process only):',
    `  export ALICE=${alice}`,
    `  export BOB=${bob}`,
    '',
    'Try:',
    `  curl ${u}/health`,
    `  curl -X POST -H "Authorization: Bearer $ALICE" -H 'Content-Type: application/json' -d '{"title":"Write report","priority":"high"}' ${u}/tasks`,
    `  curl -X POST -H "Authorization: Bearer $ALICE" ${u}/tasks/<id>/complete`,
    `  curl -H "Authorization: Bearer $ALICE" ${u}/wallet`,
    '',
    `${verbose ? 'Handler logs follow. ' : 'Handler logs: --verbose. '}Ctrl-C stops.`,
  ].join('\n'));
}

main().catch((err) => {
  console.error(`Could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
