/**
 * Restores placeholders in a streamed answer whose chunks may split a placeholder anywhere
 * (`[EMA` + `IL_1]`). One restorer per stream channel: the text deltas of a choice, and the
 * argument deltas of each tool call (with `json: true`, since those are JSON text).
 * @module
 */
import { type PlaceholderLookup, restorePlaceholders } from './placeholder.js';

/** Options of {@link createStreamRestorer}. */
export interface StreamRestorerOptions {
  /**
   * The channel carries JSON text (tool-call argument deltas): restored values are escaped as
   * JSON string content.
   * @defaultValue false
   */
  json?: boolean;
}

/** Restores one stream channel. Feed every delta to `push`, then call `end` once. */
export interface StreamRestorer {
  /** Takes the next delta and returns the restored text that is safe to emit now (maybe ''). */
  push(chunk: string): string;
  /** Returns whatever was held back. The restorer must not be used afterwards. */
  end(): string;
}

/**
 * Creates a restorer for one channel. It holds back only the shortest suffix that could still
 * become an issued placeholder: a placeholder has a single `[`, at its start, so that suffix is the
 * text from the last `[` when it is a proper prefix of an issued placeholder, and nothing otherwise.
 * Concatenating every output equals restoring the whole text at once, for any chunking.
 * @example
 * const r = createStreamRestorer(session);
 * r.push('Write to [EMA'); // 'Write to '
 * r.push('IL_1] today');   // 'jane@example.com today'
 * r.end();                 // ''
 */
export function createStreamRestorer(
  lookup: PlaceholderLookup,
  options: StreamRestorerOptions = {},
): StreamRestorer {
  const json = options.json ?? false;
  let pending = '';
  let ended = false;
  return {
    push(chunk) {
      if (ended) throw new Error('StreamRestorer.push called after end(); create one restorer per stream');
      pending += chunk;
      const open = pending.lastIndexOf('[');
      let cut = pending.length;
      if (open !== -1 && lookup.isPlaceholderPrefix(pending.slice(open))) cut = open;
      const ready = pending.slice(0, cut);
      pending = pending.slice(cut);
      return restorePlaceholders(ready, lookup, json);
    },
    end() {
      ended = true;
      const rest = pending;
      pending = '';
      return restorePlaceholders(rest, lookup, json);
    },
  };
}
