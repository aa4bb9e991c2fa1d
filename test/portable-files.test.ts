/**
 * Committed files must not depend on the folder they were written in: a snapshot or generated
 * file holding the checkout's absolute path (a stack trace, an asset path) changes whenever a
 * contributor regenerates it elsewhere, and publishes a developer machine's layout.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.resolve(__dirname, '..');

test('no git-tracked file contains the checkout\'s absolute path', () => {
  const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: root, maxBuffer: 64 * 1024 * 1024 })
    .toString('utf8').split('\0').filter(Boolean);
  expect(tracked.length).toBeGreaterThan(0);
  const needle = Buffer.from(root);
  const offending = tracked.filter((file) => {
    const p = path.join(root, file);
    // A file deleted in the work tree but not yet in the index, or a submodule: nothing to read.
    if (!fs.existsSync(p) || !fs.statSync(p).isFile()) return false;
    return fs.readFileSync(p).includes(needle);
  });
  if (offending.length > 0) {
    throw new Error(`${offending.length} tracked file(s) contain the checkout's absolute path ${root}; `
      + `make them portable (integ snapshots: npx projen integ:snapshot, see integ/support/synth.ts):\n  ${offending.join('\n  ')}`);
  }
});

// A stack frame with an absolute file path, `(/home/me/repo/src/x.ts:LINE:COLUMN)` or the Windows form with a drive letter:
// what a file written in another checkout carries instead of this checkout's path.
const ABSOLUTE_FRAME = /(?:\/|[A-Za-z]:\\)[^\s"'()]*\.[cm]?[jt]s:\d+:\d+/;

test('no git-tracked file holds a stack frame with an absolute path (written in any checkout)', () => {
  const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: root, maxBuffer: 64 * 1024 * 1024 })
    .toString('utf8').split('\0').filter(Boolean);
  const offending = tracked.flatMap((file) => {
    const p = path.join(root, file);
    if (!fs.existsSync(p) || !fs.statSync(p).isFile()) return [];
    const match = ABSOLUTE_FRAME.exec(fs.readFileSync(p, 'utf8'));
    return match ? [`${file}: ${match[0]}`] : [];
  });
  if (offending.length > 0) {
    throw new Error(`${offending.length} tracked file(s) hold stack frames with absolute paths `
      + `(integ snapshots: npx projen integ:snapshot, see integ/support/synth.ts):\n  ${offending.join('\n  ')}`);
  }
});
