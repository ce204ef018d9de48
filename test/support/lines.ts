/**
 * Calls `onLine` with each line of a child's output stream as it arrives (without the newline),
 * and with the last partial line when the stream ends.
 *
 * @example
 * onLines(child.stdout, (line) => console.log(line));
 */
export function onLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) onLine(line);
  });
  stream.on('end', () => {
    if (partial !== '') onLine(partial);
  });
}
