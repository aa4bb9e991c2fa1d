import { startLocalCommandCenter } from './local-command-center';

// `npx projen command-center:local`: the command center on loopback until Ctrl-C.
async function main(): Promise<void> {
  const local = await startLocalCommandCenter({ port: Number(process.env.PORT ?? 0) || undefined });
  const operator = local.token({ sub: 'local-operator', email: 'operator@example.com', tenantId: 'tenant-a', groups: ['operator'] }, { ttlSeconds: 8 * 3600 });
  const viewer = local.token({ sub: 'local-viewer', email: 'viewer@example.com', tenantId: 'tenant-a', groups: ['viewer'] }, { ttlSeconds: 8 * 3600 });
  process.stdout.write([
    `REST API:      ${local.apiUrl}/api/commands`,
    `WebSocket API: ${local.wsUrl}?token=<token>`,
    `Operator token (tenant-a): ${operator}`,
    `Viewer token (tenant-a):   ${viewer}`,
    `Try: curl -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"name":"restart","target":"web-1"}' ${local.apiUrl}/api/commands`,
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
