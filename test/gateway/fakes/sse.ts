/**
 * A small Server-Sent Events reader for tests: turns a `fetch` response body into events, and keeps
 * what arrived before a cut so a test can assert on it.
 */

/** One SSE event: its `event:` name (`message` when absent) and its joined `data:` lines. */
export interface SseEvent {
  event: string;
  data: string;
}

/** Parses a complete SSE text (LF, CRLF or CR line ends); comment lines and incomplete trailing events are skipped. */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  const blocks = text.split(/\r\n\r\n|\n\n|\r\r/);
  // The last block is complete only if the text ends with a blank line.
  blocks.pop();
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split(/\r\n|\n|\r/)) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) events.push({ event, data: data.join('\n') });
  }
  return events;
}

/** Reads a whole body as text; if the connection is cut, returns what arrived and the error. */
export async function readBody(response: Response): Promise<{ text: string; error: unknown }> {
  const reader = response.body?.getReader();
  if (!reader) return { text: '', error: undefined };
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    return { text: text + decoder.decode(), error: undefined };
  } catch (error) {
    return { text, error };
  }
}

/** Reads an SSE response to the end and parses it (throws if the stream was cut). */
export async function readSse(response: Response): Promise<SseEvent[]> {
  const { text, error } = await readBody(response);
  if (error) throw error;
  return parseSse(text);
}
