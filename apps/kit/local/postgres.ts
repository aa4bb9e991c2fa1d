import { spawn } from 'child_process';
import * as path from 'path';
import { freePort } from './ports';

/** A running local Postgres with an app's schema. */
export interface LocalPostgres {
  /** The environment the handlers' `connectionConfig()` reads (plain password, no TLS, no IAM). */
  readonly env: Record<string, string>;
  readonly port: number;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 120_000;

/** The app's database and its node-pg-migrate migrations. */
export interface PostgresOptions {
  /** Name of the database the migrations run in (the app's DATABASE_NAME). */
  readonly databaseName: string;
  /** Folder of the app's versioned migration files (apps/<app>/migrations). */
  readonly migrationsDir: string;
}

/** Starts Postgres in a child process (postgres-server.ts) and waits until the migrations ran. */
export async function startPostgres(options: PostgresOptions): Promise<LocalPostgres> {
  const port = await freePort();
  const args = [path.join(__dirname, 'postgres-server.ts'), String(port), options.databaseName, options.migrationsDir];
  const child = spawn(process.execPath, ['-r', 'esbuild-register', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += String(d); });
  const ready = await new Promise<{ port: number; password: string }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Postgres did not start in ${START_TIMEOUT_MS / 1000} s: ${stderr}`)), START_TIMEOUT_MS);
    child.stdout.on('data', (d) => {
      out += String(d);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Postgres exited with ${code}: ${stderr}`));
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    port,
    env: { DB_HOST: '127.0.0.1', DB_PORT: String(ready.port), DB_NAME: options.databaseName, DB_USER: 'postgres', DB_PASSWORD: ready.password },
    stop: async () => {
      child.stdin.end();
      await exited;
    },
  };
}
