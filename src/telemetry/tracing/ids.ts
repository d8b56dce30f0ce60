/**
 * Span and trace ids Baton derives instead of drawing: the run span's id from the run id, a step
 * attempt's from its task, so that any worker (a retry, a takeover, the process finishing the run)
 * names the same parent without asking anyone.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { IdGenerator } from '@opentelemetry/sdk-trace-base';

const HEX32 = /^[0-9a-f]{32}$/;

/**
 * Ids need to be stable and well spread, not secret: a cryptographic hash cost 2% of a busy
 * worker's CPU (one per span). Each 8 hex digits are a 32-bit FNV-1a of `text` from its own seed,
 * all computed in one pass, with a final avalanche so that ids of similar texts differ in every digit.
 */
function hash(text: string, chars: 16 | 32): string {
  let a = 0x811c9dc5;
  let b = 0x9e3779b9;
  let c = 0x85ebca6b;
  let d = 0xc2b2ae35;
  const wide = chars === 32;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x01000193);
    if (wide) {
      c = Math.imul(c ^ code, 0x01000193);
      d = Math.imul(d ^ code, 0x01000193);
    }
  }
  let id = hex8(a) + hex8(b);
  if (wide) id += hex8(c) + hex8(d);
  // All zeros is the invalid id in W3C trace context.
  return ZEROS.test(id) ? `${id.slice(0, -1)}1` : id;
}

const ZEROS = /^0+$/;

function hex8(h: number): string {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** The OpenTelemetry trace id of a run's `traceId`: itself when it is 32 lowercase hex, else derived. */
export function otelTraceId(batonTraceId: string): string {
  if (HEX32.test(batonTraceId) && !ZEROS.test(batonTraceId)) return batonTraceId;
  return hash(`baton.trace:${batonTraceId}`, 32);
}

/** The span id of a run's `invoke_workflow` span. */
export function runSpanId(runId: string): string {
  return hash(`baton.run:${runId}`, 16);
}

/** What names one step attempt. */
export interface AttemptKey {
  runId: string;
  kind: string;
  stepId: string;
  item: number;
  attempt: number;
}

/** The span id of a step attempt (the same attempt re-run after a takeover gets the same id). */
export function attemptSpanId(key: AttemptKey): string {
  return hash(`baton.attempt:${key.runId}:${key.kind}:${key.stepId}:${key.item}:${key.attempt}`, 16);
}

/**
 * The span id of a span that a retry or takeover of its parent opens again (an agent's loop resuming
 * from its journal): derived from the parent's id and the span's name.
 */
export function childSpanId(parentSpanId: string, name: string): string {
  return hash(`baton.child:${parentSpanId}:${name}`, 16);
}

/**
 * An {@link IdGenerator} that returns ids set for the next span by {@link DerivedIds.next}, else
 * random ones. The SDK calls it synchronously inside `startSpan`, so a slot set just before suffices.
 */
export class DerivedIds implements IdGenerator {
  #traceId: string | undefined;
  #spanId: string | undefined;

  /** Runs `start` with the ids its span (started synchronously) must take. */
  next<T>(ids: { traceId?: string; spanId?: string }, start: () => T): T {
    this.#traceId = ids.traceId;
    this.#spanId = ids.spanId;
    try {
      return start();
    } finally {
      this.#traceId = undefined;
      this.#spanId = undefined;
    }
  }

  generateTraceId(): string {
    return this.#traceId ?? randomBytes(16).toString('hex');
  }

  generateSpanId(): string {
    return this.#spanId ?? randomBytes(8).toString('hex');
  }
}
