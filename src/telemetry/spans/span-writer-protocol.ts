/**
 * The messages between the threaded SQLite span store and its writer thread
 * (`span-writer-thread.ts`), and how an error crosses from one to the other.
 * @module
 */
import { BatonError, type ErrorCode, isBatonError } from '../../core/errors.js';

/** What the writer thread is started with. */
export interface SpanWriterSetup {
  path: string;
  busyTimeoutMs: number | undefined;
}

/**
 * A request to the writer thread. `rows` is one JSON string per batch (an array of
 * `spanTuple`s): a string is copied across threads in one piece, where objects would be cloned
 * field by field on the main thread.
 */
export type SpanWriterRequest =
  | { op: 'append'; id: number; rows: string }
  | { op: 'prune'; id: number; before: number }
  | { op: 'close'; id: number };

/** The writer thread's answer to request `id` (0: it opened the file, or failed to). */
export type SpanWriterReply = { id: number; value: number } | { id: number; error: WireError };

/** An error as it crosses threads. */
export interface WireError {
  message: string;
  /** A {@link BatonError}'s code, or the driver's (`SQLITE_BUSY`). */
  code?: string;
  /** Set for a {@link BatonError}: its message without the hint, and the hint. */
  baton?: { message: string; hint: string | undefined };
}

/** The form of `error` that crosses to the main thread. */
export function toWireError(error: unknown): WireError {
  if (isBatonError(error)) {
    const hint = error.hint;
    const message =
      hint && error.message.endsWith(`. ${hint}`) ? error.message.slice(0, -hint.length - 2) : error.message;
    return { message: error.message, code: error.code, baton: { message, hint } };
  }
  const code = (error as { code?: unknown } | null)?.code;
  return {
    message: error instanceof Error ? error.message : String(error),
    ...(typeof code === 'string' ? { code } : {}),
  };
}

/**
 * The error the main thread raises for a {@link WireError}: a {@link BatonError} thrown in the thread
 * keeps its code and hint; anything else (the driver's) is `STORE_UNAVAILABLE`, with it as the cause.
 */
export function fromWireError(wire: WireError, path: string): BatonError {
  if (wire.baton && wire.code) {
    return new BatonError(wire.code as ErrorCode, wire.baton.message, {
      ...(wire.baton.hint ? { hint: wire.baton.hint } : {}),
    });
  }
  const cause = Object.assign(new Error(wire.message), wire.code ? { code: wire.code } : {});
  return new BatonError('STORE_UNAVAILABLE', `the span store's writer failed on ${path}: ${wire.message}`, {
    hint: 'Check that the file is writable and not locked by another process',
    cause,
  });
}
