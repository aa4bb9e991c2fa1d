import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { BuildOptions, build } from 'esbuild';
import { HANDLER_BUILD_OPTIONS as BUNDLER_OPTIONS } from '../apps/kit/build/bundle-handlers';

/** The bundler's own options, without source maps: only the code is measured. */
export const HANDLER_BUILD_OPTIONS: BuildOptions = { ...BUNDLER_OPTIONS, sourcemap: false };

export interface BundleInfo {
  readonly name: string;
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Largest inputs by bytes in the output (from esbuild's metafile of a rebuild). */
  readonly topInputs: { readonly input: string; readonly bytes: number }[];
  /** The same, summed per npm package (`(own code)` for files outside node_modules). */
  readonly topPackages: { readonly input: string; readonly bytes: number }[];
  /** Every npm package with bytes in the output. */
  readonly packages: string[];
}

const packageOf = (input: string): string => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return m ? m[1] : '(own code)';
};

function sizes(file: string): { bytes: number; gzipBytes: number } {
  const code = readFileSync(file);
  return { bytes: statSync(file).size, gzipBytes: gzipSync(code, { level: 9 }).length };
}

/**
 * Measures the shipped bundles in `bundleDir` and builds, with the same options into a temp dir, the
 * empty baseline handler plus the real handlers again for their metafile (assets/ is not touched).
 */
export async function handlerBundles(root: string, bundleDir: string): Promise<{ empty: BundleInfo; bundles: BundleInfo[] }> {
  const names = readdirSync(bundleDir).filter((n) => statSync(path.join(bundleDir, n, 'index.mjs'), { throwIfNoEntry: false })).sort();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cv-bench-handlers-'));
  mkdirSync(path.join(tmp, 'src'));
  const emptySrc = path.join(tmp, 'src', 'empty.ts');
  writeFileSync(emptySrc, 'export const handler = async () => ({});\n');
  const handlerSrc = (n: string): string => path.join(root, 'apps', 'cloudvault', 'handlers', `${n}.lambda.ts`);
  const result = await build({
    ...HANDLER_BUILD_OPTIONS,
    entryPoints: { 'empty/index': emptySrc, ...Object.fromEntries(names.map((n) => [`${n}/index`, handlerSrc(n)])) },
    outdir: path.join(tmp, 'out'),
    absWorkingDir: root,
  });
  const inputsOf = (name: string): [string, number][] => {
    const out = Object.entries(result.metafile!.outputs).find(([f]) => f.endsWith(`${name}/index.mjs`));
    return out ? Object.entries(out[1].inputs).map(([input, v]) => [input, v.bytesInOutput]) : [];
  };
  const top5 = (rows: [string, number][]): BundleInfo['topInputs'] =>
    rows.map(([input, bytes]) => ({ input, bytes })).sort((a, b) => b.bytes - a.bytes).slice(0, 5);
  const topInputs = (name: string): BundleInfo['topInputs'] =>
    top5(inputsOf(name).map(([input, bytes]) => [input.replace(/^.*node_modules\//, ''), bytes]));
  const topPackages = (name: string): BundleInfo['topInputs'] => {
    const sums = new Map<string, number>();
    for (const [input, bytes] of inputsOf(name)) sums.set(packageOf(input), (sums.get(packageOf(input)) ?? 0) + bytes);
    return top5([...sums]);
  };
  const packages = (name: string): string[] =>
    [...new Set(inputsOf(name).filter(([, bytes]) => bytes > 0).map(([input]) => packageOf(input)))].filter((p) => p !== '(own code)').sort();
  const emptyFile = path.join(tmp, 'out', 'empty', 'index.mjs');
  return {
    empty: { name: 'empty', file: emptyFile, ...sizes(emptyFile), topInputs: [], topPackages: [], packages: [] },
    bundles: names.map((name) => {
      const file = path.join(bundleDir, name, 'index.mjs');
      return { name, file, ...sizes(file), topInputs: topInputs(name), topPackages: topPackages(name), packages: packages(name) };
    }),
  };
}
