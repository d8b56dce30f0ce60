/**
 * Fault plans for the fake upstreams: which failure a request gets, chosen per request by count or by
 * predicate. A fault is applied by the shared server plumbing (fake-server.ts), so every provider
 * fails the same way, each in its own error format.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { RecordedRequest } from './fake-server.js';

/**
 * What goes wrong with one request. Fields combine: `{ delayMs: 50, status: 503 }` waits, then fails.
 * Applied in this order: `hang`, `delayMs`, authentication, `status`, `malformedJson`, then the normal
 * answer with `delayMsBetweenChunks` and `cutAfterChunks`.
 */
export interface Fault {
  /** Answer this HTTP status with the provider's error body instead of the normal answer. */
  status?: number;
  /** `Retry-After` header sent with `status` (seconds, or an HTTP date, as the real APIs send). */
  retryAfter?: string;
  /** Error message in the provider's error body. @defaultValue a message naming the status */
  message?: string;
  /** Wait this long before sending any header. */
  delayMs?: number;
  /** Wait this long before every chunk of a streamed answer after the first. */
  delayMsBetweenChunks?: number;
  /**
   * Destroy the socket after this many chunks (SSE events, or JSON-array elements for Gemini without
   * `alt=sse`). On a non-streamed answer, the socket is destroyed halfway through the body.
   */
  cutAfterChunks?: number;
  /** Answer 200 with a body that is not valid JSON (or an SSE event whose data is not valid JSON). */
  malformedJson?: boolean;
  /** Never answer; the request stays open until the server closes. */
  hang?: boolean;
}

/** Which requests a fault applies to. */
export interface FaultMatch {
  /**
   * How many matching requests get the fault; `Infinity` for all of them.
   * @defaultValue 1
   */
  times?: number;
  /** Only requests for which this returns true (after the body is parsed). @defaultValue every request */
  when?: (request: RecordedRequest) => boolean;
}

interface FaultRule {
  fault: Fault;
  remaining: number;
  when: ((request: RecordedRequest) => boolean) | undefined;
}

/** An ordered list of fault rules; the first rule that matches a request and has uses left applies. */
export class FaultPlan {
  private rules: FaultRule[] = [];

  /** Adds a rule after the existing ones. */
  add(fault: Fault, match: FaultMatch = {}): void {
    this.rules.push({ fault, remaining: match.times ?? 1, when: match.when });
  }

  /** Removes every rule. */
  clear(): void {
    this.rules = [];
  }

  /** The fault for this request, if any, using up one use of its rule. */
  take(request: RecordedRequest): Fault | undefined {
    for (const rule of this.rules) {
      if (rule.remaining <= 0) continue;
      if (rule.when && !rule.when(request)) continue;
      rule.remaining -= 1;
      return rule.fault;
    }
    return undefined;
  }
}

/** Resolves after `ms`, or rejects when `signal` aborts (the server closing), so no timer outlives it. */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return;
  await sleepFor(ms, undefined, { signal });
}
