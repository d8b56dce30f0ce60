/**
 * The size cap on what a tool call puts back into a model's context. Capping here, before the
 * result reaches the agent, is what makes an agent's worst-case context computable (see
 * `context-bound.ts`).
 * @module
 */

/** The smallest cap the registry accepts: room for the truncation note and some content. */
export const MIN_RESULT_BYTES = 256;

/** Text for the model, at most the cap in UTF-8 bytes. */
export interface CappedContent {
  content: string;
  /** Whether the text was cut (a note saying so ends `content`). */
  truncated: boolean;
  /** UTF-8 size of the whole text before capping. */
  bytes: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The UTF-8 size of `text`. */
export function utf8Bytes(text: string): number {
  return encoder.encode(text).byteLength;
}

/**
 * Cuts `text` to at most `maxBytes` UTF-8 bytes, note included, on a character boundary, and ends
 * it with a note telling the model that it was truncated and how much it is missing.
 * @example
 * capContent('x'.repeat(100_000), 4096).truncated // true, and content is at most 4096 bytes
 */
export function capContent(text: string, maxBytes: number): CappedContent {
  const encoded = encoder.encode(text);
  const bytes = encoded.byteLength;
  if (bytes <= maxBytes) return { content: text, truncated: false, bytes };
  // The note written with `maxBytes` as the kept size is at least as long as the final one.
  const room = Math.max(0, maxBytes - utf8Bytes(truncationNote(bytes, maxBytes)));
  const cut = charBoundary(encoded, room);
  const content = decoder.decode(encoded.subarray(0, cut)) + truncationNote(bytes, cut);
  return { content, truncated: true, bytes };
}

/** The first `maxBytes` UTF-8 bytes of `text` or less, never splitting a character, then `suffix`. */
export function cutUtf8(text: string, maxBytes: number, suffix = '…'): string {
  const encoded = encoder.encode(text);
  if (encoded.byteLength <= maxBytes) return text;
  const room = Math.max(0, maxBytes - utf8Bytes(suffix));
  return decoder.decode(encoded.subarray(0, charBoundary(encoded, room))) + suffix;
}

/** The largest offset at most `offset` that starts a character. */
function charBoundary(encoded: Uint8Array, offset: number): number {
  let cut = offset;
  // UTF-8 continuation bytes look like 10xxxxxx.
  while (cut > 0 && ((encoded[cut] as number) & 0xc0) === 0x80) cut -= 1;
  return cut;
}

function truncationNote(total: number, kept: number): string {
  return `\n\n[truncated: the result was ${total} bytes and only the first ${kept} are shown. Ask for less, e.g. a narrower query or one page at a time.]`;
}
