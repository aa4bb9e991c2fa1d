import { readFileSync, statSync } from 'fs';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { build } from 'esbuild';
import { HANDLER_BUILD_OPTIONS } from './handlers';
import { ZOD_CASES } from './probes/zod-cases';
import * as classic from './probes/zod-classic';
import * as mini from './probes/zod-mini';

/**
 * Single-dependency bundles built with the handlers' options, to put a number on one lever each:
 * the Powertools tracer on its own (what lazy-loading it would move from init to the first
 * invocation), and the handlers' schemas in zod's classic API vs zod/mini.
 */
export const PROBES = [
  { name: 'tracer', source: 'tracer.ts', description: '`new Tracer()` from `@aws-lambda-powertools/tracer` alone' },
  { name: 'zod-classic', source: 'zod-classic.ts', description: 'the handlers\' schemas (lib/validation.ts and the folders routes, as of this change) with `zod`' },
  { name: 'zod-mini', source: 'zod-mini.ts', description: 'the same schemas with `zod/mini` and its English locale' },
] as const;

export interface ProbeBundle {
  readonly name: string;
  readonly description: string;
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
}

export async function buildProbes(root: string, outDir: string): Promise<ProbeBundle[]> {
  await build({
    ...HANDLER_BUILD_OPTIONS,
    metafile: false,
    entryPoints: Object.fromEntries(PROBES.map((p) => [p.name, path.join(root, 'bench', 'probes', p.source)])),
    outdir: outDir,
    absWorkingDir: root,
  });
  return PROBES.map((p) => {
    const file = path.join(outDir, `${p.name}.mjs`);
    const gzipBytes = gzipSync(readFileSync(file), { level: 9 }).length;
    return { name: p.name, description: p.description, file, bytes: statSync(file).size, gzipBytes };
  });
}

/**
 * Runs every case through both zod probes (their sources, in this process) and returns the cases
 * where the parsed value or the issues (path and message) differ: none means zod/mini keeps every
 * error message clients see.
 */
export function zodDifferences(): { cases: number; differences: string[] } {
  const differences: string[] = [];
  for (const [schema, input] of ZOD_CASES) {
    const a = JSON.stringify(classic.check(schema, input));
    const b = JSON.stringify(mini.check(schema, input));
    if (a !== b) differences.push(`${schema} ${JSON.stringify(input)}: zod ${a}, zod/mini ${b}`);
  }
  return { cases: ZOD_CASES.length, differences };
}
