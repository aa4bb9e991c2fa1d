import { mkdirSync, readFileSync, statSync } from 'fs';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { BuildOptions, Plugin, build } from 'esbuild';
import { HANDLER_BUILD_OPTIONS } from './handlers';

/**
 * Alternative builds of the same handlers, to decide the bundle options on measurements: AWS SDK
 * v3 bundled vs taken from the runtime, ES module vs CommonJS output, and the handler without the
 * Powertools tracer at init. Every variant starts from the bundler's own options and changes one
 * thing.
 */
export interface Variant {
  readonly name: string;
  readonly description: string;
  /** Only built for handlers with AWS SDK v3 code in their bundle; for the others it equals another variant. */
  readonly sdkOnly: boolean;
  /** Built for every handler, or (to keep the bench short) only for the representatives unless `--all-variants`. */
  readonly everyHandler: boolean;
  readonly options: (base: BuildOptions) => BuildOptions;
}

/** What the Lambda Node.js runtime provides and what NodejsFunction leaves out of its bundles by default. */
const SDK_EXTERNAL = ['@aws-sdk/*'];

// CommonJS output, loaded with require(); the ES-module banner (createRequire) is not needed.
const commonJs = (base: BuildOptions): BuildOptions => ({ ...base, format: 'cjs', outExtension: { '.js': '.cjs' }, banner: undefined });
const sdkExternal = (base: BuildOptions): BuildOptions => ({ ...base, external: [...(base.external ?? []), ...SDK_EXTERNAL] });

/** Resolves the Powertools tracer to a no-op stand-in (bench/probes/tracer-stub.ts): the handler's init without the X-Ray SDK. */
const tracerStub = (root: string): Plugin => ({
  name: 'tracer-stub',
  setup(b) {
    b.onResolve({ filter: /^@aws-lambda-powertools\/tracer$/ }, () => ({ path: path.join(root, 'bench', 'probes', 'tracer-stub.ts') }));
  },
});

export function variants(root: string): Variant[] {
  return [
    {
      name: 'esm, SDK from runtime',
      description: 'the shipped options with `@aws-sdk/*` external (what NodejsFunction does by default)',
      sdkOnly: true,
      everyHandler: true,
      options: sdkExternal,
    },
    {
      name: 'cjs, SDK bundled',
      description: 'the shipped options with CommonJS output (`format: cjs`, no banner), loaded with require()',
      sdkOnly: false,
      everyHandler: false,
      options: commonJs,
    },
    {
      name: 'cjs, SDK from runtime',
      description: 'CommonJS with `@aws-sdk/*` external',
      sdkOnly: true,
      everyHandler: false,
      options: (base) => sdkExternal(commonJs(base)),
    },
    {
      name: 'cjs, SDK bundled, main first',
      description: 'CommonJS, SDK bundled, esbuild\'s default `mainFields` for Node (`main` before `module`: the CommonJS builds, not tree-shaken); NodejsFunction\'s defaults with `bundleAwsSDK: true`',
      sdkOnly: true,
      everyHandler: false,
      options: (base) => ({ ...commonJs(base), mainFields: ['main', 'module'] }),
    },
    {
      name: 'esm, no tracer at init',
      description: 'the shipped options with `@aws-lambda-powertools/tracer` replaced by a no-op stand-in: the init a lazily loaded tracer would leave',
      sdkOnly: false,
      everyHandler: false,
      options: (base) => ({ ...base, plugins: [...(base.plugins ?? []), tracerStub(root)] }),
    },
  ];
}

export interface VariantBundle {
  readonly handler: string;
  readonly variant: string;
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
}

/**
 * Builds the variants of the handlers into `outDir`, one esbuild call per variant: each variant
 * for every handler or for the `representatives` only, and SDK variants only for handlers in
 * `withSdk`. `outDir` must lie inside the repository: an external `@aws-sdk/*` import then
 * resolves to node_modules, the local stand-in for the runtime's copy. A variant that fails to
 * build is logged and left out.
 */
export async function buildVariants(root: string, outDir: string, handlers: string[], representatives: Set<string>, withSdk: Set<string>,
  log: (s: string) => void): Promise<VariantBundle[]> {
  const result: VariantBundle[] = [];
  for (const [i, v] of variants(root).entries()) {
    const names = handlers.filter((n) => (v.everyHandler || representatives.has(n)) && (!v.sdkOnly || withSdk.has(n)));
    if (names.length === 0) continue;
    const dir = path.join(outDir, `v${i}`);
    mkdirSync(dir, { recursive: true });
    const options = v.options({ ...HANDLER_BUILD_OPTIONS, metafile: false });
    try {
      await build({
        ...options,
        entryPoints: Object.fromEntries(names.map((n) => [`${n}/index`, path.join(root, 'apps', 'cloudvault', 'handlers', `${n}.lambda.ts`)])),
        outdir: dir,
        absWorkingDir: root,
        logLevel: 'error',
      });
    } catch (e) {
      log(`  variant "${v.name}" failed to build, left out: ${String(e).slice(0, 300)}`);
      continue;
    }
    const ext = options.outExtension?.['.js'] ?? '.js';
    for (const n of names) {
      const file = path.join(dir, n, `index${ext}`);
      result.push({ handler: n, variant: v.name, file, bytes: statSync(file).size, gzipBytes: gzipSync(readFileSync(file), { level: 9 }).length });
    }
  }
  return result;
}
