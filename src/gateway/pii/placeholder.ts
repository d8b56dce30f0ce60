/**
 * The placeholder format, `[TYPE_N]` (for example `[EMAIL_1]`, `[CARD_2]`, `[ORDER_ID_1]`), and the
 * one function that turns placeholders back into values; whole-text and streamed restore share it
 * so that they cannot disagree.
 *
 * Why this format: it is plain ASCII that tokenizes into a few common tokens, and it is the style of
 * redaction tag (`[NAME_1]`, `[EMAIL]`) that models have seen in training data and copy verbatim
 * instead of "fixing" it, unlike `<<...>>` (read as markup) or Unicode brackets (split into byte
 * tokens). An upper-case label, an underscore and a number inside square brackets is rare in real
 * text, and a literal occurrence in the input is never handed out (see the masker's reservation).
 * The only `[` is the first character and the only `]` the last, which the stream restorer relies on.
 * @module
 */

/** Matches any placeholder-shaped token; only those the session issued are restored. */
export const PLACEHOLDER_RE = /\[[A-Z][A-Z0-9_]{0,30}_[1-9]\d{0,6}\]/g;

/** Formats the placeholder for the `n`th distinct value of `type` (1-based). */
export function formatPlaceholder(type: string, n: number): string {
  return `[${type}_${n}]`;
}

/** What restoring needs from a masking session. */
export interface PlaceholderLookup {
  /** The original value behind a placeholder this session issued, or `undefined`. */
  valueOf(placeholder: string): string | undefined;
  /** Whether `text` is a proper, non-empty prefix of a placeholder this session issued. */
  isPlaceholderPrefix(text: string): boolean;
}

/** Escapes a value for insertion inside a JSON string literal. */
export function escapeJsonString(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

/**
 * Replaces every issued placeholder in `text` by its value. With `json`, the text is JSON (tool-call
 * arguments) and values are escaped as JSON string content.
 */
export function restorePlaceholders(text: string, lookup: PlaceholderLookup, json = false): string {
  if (!text.includes('[')) return text;
  return text.replace(PLACEHOLDER_RE, (ph) => {
    const value = lookup.valueOf(ph);
    if (value === undefined) return ph;
    return json ? escapeJsonString(value) : value;
  });
}
