import { spawnSync } from 'child_process';
import { existsSync } from 'fs';

/** One timed child process: wall time measured here, peak RSS from `/usr/bin/time -v` when present. */
export interface ChildRun {
  readonly wallMs: number;
  readonly maxRssKiB?: number;
  readonly stdout: string;
}

const TIME = '/usr/bin/time';
export const HAS_TIME = existsSync(TIME);

/** Runs `cmd args` in a fresh process; throws with its output if it fails. */
export function runChild(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): ChildRun {
  const [file, argv] = HAS_TIME ? [TIME, ['-v', cmd, ...args]] : [cmd, args];
  const started = process.hrtime.bigint();
  const res = spawnSync(file, argv, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (res.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${res.status}):\n${(res.stdout ?? '').slice(-2000)}\n${(res.stderr ?? '').slice(-4000)}`);
  }
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(res.stderr ?? '');
  return { wallMs, maxRssKiB: rss ? Number(rss[1]) : undefined, stdout: res.stdout ?? '' };
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Fixed-width text table for the console (markdown tables go to the doc). */
export function textTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function mdTable(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
