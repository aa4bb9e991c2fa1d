/**
 * Bundles every CloudVault handler (src/cloudvault/handlers/*.lambda.ts) into
 * assets/handlers/<name>/index.mjs with ONE esbuild call (all entry points share the work), so
 * synthesizing the app never runs esbuild (src/cloudvault/handler-code.ts reads the result).
 *
 * Run by `npx projen bundle:handlers` (spawned by pre-compile and test).
 */
import { readdirSync, rmSync, statSync } from 'fs';
import * as path from 'path';
import { BuildOptions, build } from 'esbuild';

const ROOT = path.resolve(__dirname, '..');
const HANDLERS_DIR = path.join(ROOT, 'src', 'cloudvault', 'handlers');
const OUT_DIR = path.join(ROOT, 'assets', 'handlers');
const SUFFIX = '.lambda.ts';

/** The esbuild options of every handler bundle; bench/handlers.ts measures with the same ones. */
export const HANDLER_BUILD_OPTIONS = {
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  minify: true,
  treeShaking: true,
  sourcemap: true, // external .map next to each bundle; NODE_OPTIONS=--enable-source-maps maps stack traces
  // Prefer the ES module builds (the AWS SDK v3 and Powertools ship both) so tree-shaking works.
  mainFields: ['module', 'main'],
  // CommonJS dependencies bundled into an ES module still call require() for Node built-ins.
  banner: { js: "import { createRequire as __cvCreateRequire } from 'module'; const require = __cvCreateRequire(import.meta.url);" },
  // The AWS SDK v3 is bundled rather than taken from the Lambda runtime: the version is then the
  // one tested here and does not change under a deployed function. Issue 6 measures this choice
  // (cold start and package size of bundled vs runtime-provided SDK).
  external: [],
  metafile: true,
  logLevel: 'warning',
  legalComments: 'none',
} satisfies BuildOptions;

async function main(): Promise<void> {
  const started = Date.now();
  const names = readdirSync(HANDLERS_DIR).filter((f) => f.endsWith(SUFFIX)).map((f) => f.slice(0, -SUFFIX.length)).sort();
  if (names.length === 0) throw new Error(`no *${SUFFIX} handlers in ${HANDLERS_DIR}`);

  // Start clean so a removed handler does not leave a stale bundle that synth would still pick up.
  rmSync(OUT_DIR, { recursive: true, force: true });

  const result = await build({
    entryPoints: Object.fromEntries(names.map((n) => [`${n}/index`, path.join(HANDLERS_DIR, `${n}${SUFFIX}`)])),
    outdir: OUT_DIR,
    ...HANDLER_BUILD_OPTIONS,
  });

  const rows = Object.entries(result.metafile.outputs)
    .filter(([file]) => file.endsWith('.mjs'))
    .map(([file]) => {
      const abs = path.resolve(ROOT, file);
      return { handler: path.basename(path.dirname(abs)), kib: statSync(abs).size / 1024 };
    });
  for (const row of rows) {
    console.log(`${row.handler.padEnd(24)} ${row.kib.toFixed(1).padStart(8)} KiB`);
  }
  console.log(`bundled ${rows.length} handler(s) into ${path.relative(ROOT, OUT_DIR)} in ${Date.now() - started} ms`);
}

// Bundle only when run as a script, so the bench can import the options.
if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
