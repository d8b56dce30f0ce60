/**
 * Holding a stream until its first real content. Chunks before it (the role chunk, empty deltas)
 * are kept back, so that a failure before any content reaches the client can still be retried or
 * fall back to another target; once content has arrived, the stream is committed to its target.
 * @module
 */
import type { ChatChunk } from '../types.js';

/** A stream whose first content has arrived. */
export interface HeldStream {
  /** The chunks read so far, the content chunk last (or every chunk, if the stream already ended). */
  held: ChatChunk[];
  /** The rest of the stream. */
  rest: AsyncIterator<ChatChunk>;
  /** Whether the stream already ended (an empty answer or a very short one). */
  ended: boolean;
}

/** Whether a chunk carries something the client would see as an answer. */
export function hasContent(chunk: ChatChunk): boolean {
  for (const choice of chunk.choices ?? []) {
    const delta = choice.delta;
    if (choice.finish_reason) return true;
    if (
      delta &&
      ((typeof delta.content === 'string' && delta.content.length > 0) ||
        (delta.tool_calls?.length ?? 0) > 0 ||
        (typeof delta.refusal === 'string' && delta.refusal.length > 0))
    )
      return true;
  }
  return false;
}

/** Reads a stream up to its first content; a failure before it rejects (and can be retried). */
export async function holdUntilContent(stream: AsyncIterable<ChatChunk>): Promise<HeldStream> {
  const rest = stream[Symbol.asyncIterator]();
  const held: ChatChunk[] = [];
  for (;;) {
    const next = await rest.next();
    if (next.done) return { held, rest, ended: true };
    held.push(next.value);
    if (hasContent(next.value)) return { held, rest, ended: false };
  }
}
