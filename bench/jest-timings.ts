/**
 * Jest setup file used only by bench/run.ts (`--setupFilesAfterEnv`): times each synth
 * (`Stage.synth`, outermost call only, so a stage synthesized inside an app counts once) and each
 * cdk-nag pack run (`NagPack.validateScope`, what the nag harness calls once per pack) of a test
 * file, and appends one JSON line per call to $CV_BENCH_TIMINGS.
 *
 * The patch is applied in beforeAll, after the test file's imports have loaded those modules into
 * its registry, and only when the file's source names them: files that never load aws-cdk-lib or
 * cdk-nag are not charged here for loading them.
 */
import { appendFileSync, readFileSync } from 'fs';

const out = process.env.CV_BENCH_TIMINGS;

function timeCalls(proto: Record<string, unknown>, method: string, kind: string, file: string): void {
  const original = proto[method] as (...args: unknown[]) => unknown;
  let depth = 0;
  proto[method] = function (this: unknown, ...args: unknown[]): unknown {
    const started = performance.now();
    depth++;
    try {
      return original.apply(this, args);
    } finally {
      depth--;
      if (depth === 0) appendFileSync(out!, JSON.stringify({ file, kind, ms: performance.now() - started }) + '\n');
    }
  };
}

if (out) {
  beforeAll(() => {
    const file = expect.getState().testPath!;
    const source = readFileSync(file, 'utf8');
    /* eslint-disable @typescript-eslint/no-require-imports */
    if (source.includes('aws-cdk-lib')) timeCalls(require('aws-cdk-lib').Stage.prototype, 'synth', 'synth', file);
    if (source.includes('nag-harness')) timeCalls(require('cdk-nag').NagPack.prototype, 'validateScope', 'nag', file);
    /* eslint-enable @typescript-eslint/no-require-imports */
  });
}
