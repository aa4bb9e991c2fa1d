/**
 * `text` with the block between the `start` and `end` marker lines replaced by `block`: how each
 * app's `<app>:diagram` task writes its generated architecture picture into README.md.
 */
export function replaceMarkedBlock(text: string, start: string, end: string, block: string): string {
  const from = text.indexOf(start);
  const to = text.indexOf(end, from);
  if (from < 0 || to < from) throw new Error(`no "${start}" ... "${end}" block`);
  return text.slice(0, from + start.length) + '\n' + block + text.slice(to);
}
