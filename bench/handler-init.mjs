// Child of bench/run.ts: time the import of one handler bundle (module init) and print the ms.
const started = performance.now();
await import(process.argv[2]);
process.stdout.write(String(performance.now() - started));
