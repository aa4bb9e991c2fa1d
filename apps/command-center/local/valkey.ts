import { spawn } from 'child_process';
import { freePort } from '../../kit/local/ports';

/** A running local Valkey/Redis (the machine's redis-server: `apt-get install redis-server`). */
export interface LocalValkey {
  /** The environment the handlers' cache client reads. */
  readonly env: Record<string, string>;
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts `redis-server` on a free loopback port, in memory only, and waits until it accepts connections. */
export async function startValkey(binary = process.env.REDIS_SERVER ?? 'redis-server'): Promise<LocalValkey> {
  const port = await freePort();
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 20_000);
    child.stdout.on('data', (d) => {
      out += String(d);
      if (/ready to accept connections/i.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${binary} (install it: apt-get install -y redis-server): ${err.message}`));
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  return {
    url,
    env: { CACHE_URL: url },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
