// Child of bench/run.ts: time the load of one handler bundle (module init) and print the ms.
// Loaded the way the Lambda Node.js runtime loads a handler file: `.mjs` with import(), `.cjs`
// with require() (importing CommonJS would add the ES-module loader's export scan to the time).
import { createRequire } from 'module';
import { fileURLToPath } from 'url';

const url = process.argv[2];
const require = createRequire(import.meta.url);
const started = performance.now();
if (url.endsWith('.cjs')) {
  require(fileURLToPath(url));
} else {
  await import(url);
}
process.stdout.write(String(performance.now() - started));
