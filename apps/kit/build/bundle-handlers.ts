/**
 * Bundles the handlers of every app (apps/<app>/handlers/*.lambda.ts) into
 * apps/<app>/assets/handlers/<name>/index.mjs with ONE esbuild call per app (its entry points share
 * the work), so synthesizing an app never runs esbuild (infra/handler-code.ts reads the result).
 * Native packages (sharp) stay external and are then installed, for linux-arm64, into the asset of
 * the handler that uses them (build/install-native-modules.ts).
 *
 * Run by `npx projen bundle:handlers` (spawned by test, bench, coverage and each app's synth task);
 * app names as arguments bundle only those apps.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'fs';
import { isBuiltin } from 'module';
import * as path from 'path';
import { BuildOptions, Metafile, build } from 'esbuild';
import { HANDLER_NATIVE_PACKAGES, NATIVE_PACKAGES, installNativePackages } from './install-native-modules';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const APPS_DIR = path.join(ROOT, 'apps');
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
  // External .map next to each bundle, without the sources (folders: 1.2 MB instead of 3.4 MB); file
  // and line are enough to map a stack trace. NODE_OPTIONS=--enable-source-maps makes Node parse the
  // map at load (+11 ms init for folders, +18 ms with sources): leave it off unless debugging.
  sourcemap: true,
  sourcesContent: false,
  // Prefer the ES module builds (the AWS SDK v3 and Powertools ship both) so tree-shaking works.
  mainFields: ['module', 'main'],
  // CommonJS dependencies bundled into an ES module still call require() for Node built-ins.
  banner: { js: "import { createRequire as __cvCreateRequire } from 'module'; const require = __cvCreateRequire(import.meta.url);" },
  // The AWS SDK v3 is bundled rather than taken from the Lambda runtime: the bundle initializes
  // 2-4x faster than importing the runtime's CommonJS copy (docs/benchmarks.md, "Decisions"), and
  // the version is the one tested here and does not change under a deployed function.
  // Native packages cannot be bundled: they are installed into the asset of the handlers that use
  // them (one esbuild call has one external list; externalsOf() holds each handler to its own).
  external: [...NATIVE_PACKAGES],
  // Versioned SQL files (schema migrations) are bundled as text.
  loader: { '.sql': 'text' },
  metafile: true,
  logLevel: 'warning',
  legalComments: 'none',
} satisfies BuildOptions;

/** The apps that have handlers (apps/<app>/handlers/*.lambda.ts). */
export function appsWithHandlers(): string[] {
  return readdirSync(APPS_DIR).filter((app) => handlerNames(app).length > 0).sort();
}

function handlerNames(app: string): string[] {
  const dir = path.join(APPS_DIR, app, 'handlers');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith(SUFFIX)).map((f) => f.slice(0, -SUFFIX.length)).sort();
}

async function bundleApp(app: string): Promise<void> {
  const started = Date.now();
  const handlersDir = path.join(APPS_DIR, app, 'handlers');
  const outDir = path.join(APPS_DIR, app, 'assets', 'handlers');
  const names = handlerNames(app);
  if (names.length === 0) throw new Error(`no *${SUFFIX} handlers in ${handlersDir}`);

  // Start clean so a removed handler does not leave a stale bundle that synth would still pick up.
  rmSync(outDir, { recursive: true, force: true });

  const result = await build({
    entryPoints: Object.fromEntries(names.map((n) => [`${n}/index`, path.join(handlersDir, `${n}${SUFFIX}`)])),
    outdir: outDir,
    ...HANDLER_BUILD_OPTIONS,
  });

  const rows = Object.entries(result.metafile.outputs)
    .filter(([file]) => file.endsWith('.mjs'))
    .map(([file, output]) => {
      const abs = path.resolve(ROOT, file);
      const handler = `${app}/${path.basename(path.dirname(abs))}`;
      checkExternals(handler, output);
      const natives = installNativePackages(ROOT, handler, path.dirname(abs));
      return { handler, kib: statSync(abs).size / 1024, natives };
    });
  for (const row of rows) {
    const natives = row.natives.map((n) =>
      ` + node_modules ${(n.bytes / 1024 / 1024).toFixed(1)} MiB (${n.packageName}@${n.version} linux-arm64, ${n.binaries.length} AArch64 binaries${n.fromCache ? ', cached' : ''})`);
    console.log(`${row.handler.padEnd(36)} ${row.kib.toFixed(1).padStart(8)} KiB${natives.join('')}`);
  }
  console.log(`bundled ${rows.length} handler(s) into ${path.relative(ROOT, outDir)} in ${Date.now() - started} ms`);
}

async function main(apps: string[]): Promise<void> {
  const known = appsWithHandlers();
  const unknown = apps.filter((a) => !known.includes(a));
  if (unknown.length > 0) throw new Error(`no app with handlers named ${unknown.join(', ')} (apps with handlers: ${known.join(', ')})`);
  for (const app of apps.length > 0 ? apps : known) await bundleApp(app);
}

/**
 * Optional packages a bundled dependency require()s only when a feature the handlers never use is
 * touched (pg's libpq binding, behind the lazy `pg.native` getter): left out of the bundle on purpose.
 */
const OPTIONAL_REQUIRES = new Set(['pg-native']);

/** A handler may leave only Node built-ins and its own native packages out of its bundle. */
function checkExternals(handler: string, output: Metafile['outputs'][string]): void {
  const own = new Set((HANDLER_NATIVE_PACKAGES[handler] ?? []).map((p) => p.name));
  const stray = output.imports
    .filter((i) => i.external && !isBuiltin(i.path) && !own.has(i.path) && !OPTIONAL_REQUIRES.has(i.path))
    .map((i) => i.path);
  if (stray.length > 0) {
    throw new Error(`${handler} imports ${[...new Set(stray)].join(', ')}, which its bundle leaves out and its asset does not get: ` +
      'add the handler to HANDLER_NATIVE_PACKAGES in apps/kit/build/install-native-modules.ts');
  }
}

// Bundle only when run as a script, so the bench can import the options.
if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
