import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import { runChild } from './measure';

/** One test file: its time in the worker, and the synth and cdk-nag time inside it (undefined when not seen). */
export interface FileTiming {
  readonly file: string;
  readonly wall: number;
  readonly ok: boolean;
  readonly synth?: number;
  readonly nag?: number;
  /** Nag time of the first stack (its five packs), which also loads cdk-nag's rules into the file's registry. */
  readonly nagFirst?: number;
  readonly nagRuns: number;
}

/**
 * One run of the whole suite (or of the test files matching `patterns`) with bench/jest-timings.ts
 * as setup file: the wall time, and per test file its time in the worker (jest's start/end) and
 * the synth and cdk-nag time inside it.
 */
export function jestSuite(root: string, tmp: string, log: (s: string) => void, patterns: string[] = []):
{ wall: number; ok: boolean; files: FileTiming[] } {
  const json = path.join(tmp, 'jest.json');
  const timings = path.join(tmp, 'timings.jsonl');
  let wall = NaN; let ok = true;
  try {
    // Patterns first: the array option --setupFilesAfterEnv would take them as more setup files.
    wall = runChild('npx', ['jest', ...patterns, '--coverage=false', '--json', `--outputFile=${json}`, `--setupFilesAfterEnv=${path.join(__dirname, 'jest-timings.ts')}`],
      { cwd: root, env: { CV_BENCH_TIMINGS: timings } }).wallMs;
  } catch (e) {
    ok = false;
    log(`  jest failed: ${String(e).slice(0, 600)}`);
  }
  if (!existsSync(json)) return { wall, ok: false, files: [] };
  const calls = existsSync(timings)
    ? readFileSync(timings, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { file: string; kind: string; ms: number })
    : [];
  const results = (JSON.parse(readFileSync(json, 'utf8')) as { testResults: { name: string; status: string; startTime: number; endTime: number }[] }).testResults;
  const files = results.map((r): FileTiming => {
    const mine = calls.filter((c) => c.file === r.name);
    const sum = (kind: string): number | undefined => {
      const k = mine.filter((c) => c.kind === kind);
      return k.length ? k.reduce((a, c) => a + c.ms, 0) : undefined;
    };
    return {
      file: path.relative(root, r.name),
      wall: r.endTime - r.startTime,
      ok: r.status === 'passed',
      synth: sum('synth'),
      nag: sum('nag'),
      nagFirst: mine.some((c) => c.kind === 'nag') ? mine.filter((c) => c.kind === 'nag').slice(0, 5).reduce((a, c) => a + c.ms, 0) : undefined,
      nagRuns: mine.filter((c) => c.kind === 'nag').length,
    };
  }).sort((a, b) => a.file.localeCompare(b.file));
  return { wall, ok, files };
}

/** What starting jest costs before any test file runs: a run that matches no test file. */
export function jestStartup(root: string): number {
  return runChild('npx', ['jest', '--coverage=false', '--passWithNoTests', '--testPathPatterns', '__cv_bench_no_such_test__'], { cwd: root }).wallMs;
}
