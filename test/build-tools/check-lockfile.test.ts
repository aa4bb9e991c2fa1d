import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { incompleteLockEntries } from '../../build-tools/check-lockfile';

const root = path.join(__dirname, '..', '..');
const complete = { version: '1.0.0', integrity: 'sha512-x' };

describe('incompleteLockEntries', () => {
  test('the committed package-lock.json is complete', () => {
    expect(incompleteLockEntries(JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')))).toEqual([]);
  });

  test('names each entry without version or integrity; root, links and bundled entries are exempt', () => {
    const lock = {
      packages: {
        '': { version: '0.0.0' },
        'node_modules/a': complete,
        'node_modules/x/node_modules/@unrs/resolver-binding-darwin-arm64': { dev: true, optional: true },
        'node_modules/b': { version: '2.0.0' },
        'node_modules/linked': { link: true, resolved: 'packages/linked' },
        'node_modules/bundler/node_modules/inside': { inBundle: true, version: '1.0.0' },
      },
    };
    expect(incompleteLockEntries(lock)).toEqual([
      'node_modules/x/node_modules/@unrs/resolver-binding-darwin-arm64 (no version, no integrity)',
      'node_modules/b (no integrity)',
    ]);
  });

  test('the build step fails with the entry named', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lock-'));
    const file = path.join(dir, 'package-lock.json');
    writeFileSync(file, JSON.stringify({ packages: { '': {}, 'node_modules/broken': { optional: true } } }));
    let stderr = '';
    try {
      execFileSync(process.execPath, ['-r', 'esbuild-register', path.join(root, 'build-tools', 'check-lockfile.ts'), file], { stdio: 'pipe' });
    } catch (e: any) {
      stderr = String(e.stderr);
      expect(e.status).toBe(1);
    }
    expect(stderr).toContain('node_modules/broken (no version, no integrity)');
  });
});
