/**
 * `npx projen patch-tracker:local`: the patch tracker on localhost (see local-patch-tracker.ts).
 * Fetches recent patches of PATCHWORK_PROJECTS (default netdevbpf) from patchwork.kernel.org once
 * (`--no-fetch` skips it), prints a dev token and curl examples, serves until Ctrl-C.
 *
 *   --port <n>   API port (default 3000)   --verbose   handler logs   --no-fetch   start empty
 */
import { startLocalPatchTracker } from './local-patch-tracker';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const portArg = argv.indexOf('--port');
  const port = portArg >= 0 ? Number(argv[portArg + 1]) : 3000;
  const local = await startLocalPatchTracker({ port, verbose: argv.includes('--verbose'), projects: process.env.PATCHWORK_PROJECTS });
  const shutdown = () => void local.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  if (!argv.includes('--no-fetch')) {
    try {
      console.log('Fetching recent patches from Patchwork...', await local.runJob('patch-fetcher'));
    } catch (err) {
      console.error(`Fetch failed (the API still serves what is stored): ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const token = local.tokenFor({ sub: 'reader', email: 'reader@example.org' });
  console.log([
    `Patch tracker API on ${local.url}`,
    `  TOKEN=${token}`,
    `  curl -H "Authorization: $TOKEN" '${local.url}/api/patches?status=new&limit=5'`,
    `  curl -H "Authorization: $TOKEN" '${local.url}/api/patches/<id>'`,
  ].join('\n'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
