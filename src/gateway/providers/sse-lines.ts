/**
 * Server-Sent Events parsing for the pass-through path: turns a byte stream into `data:` payloads
 * without building a string of the whole body. Only `data:` fields matter to the OpenAI protocol.
 * @module
 */

/** Yields the joined `data:` lines of each event; comments and other fields are skipped. */
export async function* sseData(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const piece of body) {
    buffer += typeof piece === 'string' ? piece : decoder.decode(piece, { stream: true });
    let end = eventEnd(buffer);
    while (end !== -1) {
      const data = dataOf(buffer.slice(0, end));
      buffer = buffer.slice(end + separatorLength(buffer, end));
      if (data !== undefined) yield data;
      end = eventEnd(buffer);
    }
  }
  buffer += decoder.decode();
  const last = dataOf(buffer);
  if (last !== undefined && buffer.trim() !== '') yield last;
}

function eventEnd(buffer: string): number {
  const lf = buffer.indexOf('\n\n');
  const crlf = buffer.indexOf('\r\n\r\n');
  if (lf === -1) return crlf;
  if (crlf === -1) return lf;
  return Math.min(lf, crlf);
}

function separatorLength(buffer: string, at: number): number {
  return buffer.startsWith('\r\n\r\n', at) ? 4 : 2;
}

function dataOf(block: string): string | undefined {
  let data: string | undefined;
  for (const line of block.split(/\r?\n/)) {
    if (!line.startsWith('data:')) continue;
    const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
    data = data === undefined ? value : `${data}\n${value}`;
  }
  return data;
}
