/**
 * Fails when package-lock.json has an entry that `npm ci` cannot install on a fresh machine:
 * every package entry except the root, links and bundled dependencies must carry `version` and
 * `integrity` (an entry without them installs only from the cache of the machine that wrote it).
 * Run by `npx projen build` (pre-compile) and after `npx projen upgrade`.
 */
import { readFileSync } from 'fs';

interface LockEntry {
  readonly version?: string;
  readonly integrity?: string;
  readonly link?: boolean;
  readonly inBundle?: boolean;
  readonly dev?: boolean;
  readonly optional?: boolean;
}

/** The lock's package paths that lack `version` or `integrity`, with what each lacks. */
export function incompleteLockEntries(lock: { packages?: Record<string, LockEntry> }): string[] {
  return Object.entries(lock.packages ?? {})
    .filter(([path, entry]) => path !== '' && !entry.link && !entry.inBundle)
    .map(([path, entry]) => {
      const missing = (['version', 'integrity'] as const).filter((field) => !entry[field]);
      return missing.length ? `${path} (no ${missing.join(', no ')})` : '';
    })
    .filter(Boolean);
}

if (require.main === module) {
  const file = process.argv[2] ?? 'package-lock.json';
  const bad = incompleteLockEntries(JSON.parse(readFileSync(file, 'utf8')));
  if (bad.length) {
    console.error(`${file}: ${bad.length} entr${bad.length === 1 ? 'y' : 'ies'} that npm ci cannot install on a fresh machine:`);
    for (const entry of bad) console.error(`  ${entry}`);
    console.error('Regenerate the lock with the current npm (`npx projen install`, see README "Contributing").');
    process.exit(1);
  }
  console.log(`${file}: every entry has a version and an integrity`);
}
