import { startLocalPersonalPod } from './local-personal-pod';

// `npx projen personal-pod:local`: PersonalPod on loopback until Ctrl-C.
async function main(): Promise<void> {
  const local = await startLocalPersonalPod({ port: Number(process.env.PORT ?? 0) || undefined });
  const token = local.token({ sub: 'local-user', email: 'me@example.com' }, { ttlSeconds: 8 * 3600 });
  process.stdout.write([
    `REST API:      ${local.apiUrl}/api/entries`,
    `WebSocket API: ${local.wsUrl}?token=<token>`,
    `Token: ${token}`,
    `Try: curl -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"title":"Day one","body":"Walked by the sea","tags":["sea"]}' ${local.apiUrl}/api/entries`,
    `     curl -H "Authorization: Bearer $TOKEN" '${local.apiUrl}/api/search?q=sea'`,
    'Ctrl-C stops it.',
    '',
  ].join('\n'));
  const stop = () => void local.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
