/**
 * Splits an mbox file (as lore.kernel.org's public-inbox serves threads: `t.mbox.gz`, mboxrd
 * quoting) into its RFC 822 messages. Each message starts with a `From ` separator line; inside a
 * message, mboxrd quotes body lines matching /^>*From / with one more ">", which is removed here.
 */
const SEPARATOR = /^From \S*.*$/;

/** The raw messages of an mbox, separator lines removed, mboxrd quoting undone, CRLF line ends. */
export function splitMbox(text: string): string[] {
  const messages: string[] = [];
  let current: string[] | undefined;
  const flush = () => {
    if (current) {
      while (current.length > 0 && current[current.length - 1] === '') current.pop();
      if (current.length > 0) messages.push(current.join('\r\n') + '\r\n');
    }
  };
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    if (SEPARATOR.test(line)) {
      flush();
      current = [];
    } else if (current) {
      current.push(/^>+From /.test(line) ? line.slice(1) : line);
    } else if (line.trim() !== '') {
      throw new Error('not an mbox: text before the first "From " line');
    }
  }
  flush();
  return messages;
}
