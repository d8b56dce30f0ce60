/**
 * The sender of the webhook dispatcher: it leases due deliveries and POSTs them to their subscription.
 *
 * Each request carries `Content-Type: application/json`, `Baton-Signature` (see `webhook-signature.ts`),
 * `Baton-Event` (the event type) and `Baton-Delivery` (the delivery id, the same on every retry, for the
 * receiver to deduplicate on). A 2xx answer within the timeout is a success. Anything else (a non-2xx
 * status, a redirect, a timeout, a refused connection) is retried with exponential backoff and jitter
 * until the attempts run out; then the delivery is `failed` and only a manual redelivery sends it again.
 * Every attempt is logged. Redirects are never followed, so a receiver cannot bounce the signed payload
 * to another host, and at most `maxResponseBytes` of a response are read.
 * @module
 */
import { Agent, request } from 'undici';
import type { ServerContext } from '../../context.js';
import type { Delivery, DeliveryAttempt } from '../../control/port.js';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature.js';

/** Options of {@link createWebhookSender}. */
export interface WebhookSenderOptions {
  /** Deliveries leased per round. @defaultValue 20 */
  batch?: number;
  /** How long a lease keeps other dispatchers away; longer than `timeoutMs`. @defaultValue 60000 */
  leaseMs?: number;
  /** Time allowed for a whole request. @defaultValue 10000 */
  timeoutMs?: number;
  /** Attempts before a delivery is `failed`, the first included. @defaultValue 8 */
  maxAttempts?: number;
  /**
   * Delays before the 1st, 2nd, ... retry; the last repeats.
   * @defaultValue [10 s, 30 s, 2 min, 10 min, 1 h]
   */
  backoffMs?: number[];
  /** Fraction of each delay that is randomised, both ways. @defaultValue 0.2 */
  jitter?: number;
  /** Randomness of the jitter. @defaultValue Math.random */
  random?: () => number;
  /** Most bytes of a response read before the connection is dropped. @defaultValue 65536 */
  maxResponseBytes?: number;
}

/** Sends due deliveries. */
export interface WebhookSender {
  /** Leases due deliveries and attempts each once; returns how many were attempted. */
  send(): Promise<number>;
  /** Closes its HTTP connections. */
  close(): Promise<void>;
}

/** The default retry delays: 10 s, 30 s, 2 min, 10 min, then every hour. */
export const DEFAULT_BACKOFF_MS: readonly number[] = [10_000, 30_000, 120_000, 600_000, 3_600_000];

/** A sender over the context's control store, with its own connection pool. */
export function createWebhookSender(ctx: ServerContext, options: WebhookSenderOptions = {}): WebhookSender {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxAttempts = options.maxAttempts ?? 8;
  const backoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  const jitter = options.jitter ?? 0.2;
  const random = options.random ?? Math.random;
  const maxResponseBytes = options.maxResponseBytes ?? 65_536;
  const agent = new Agent({ connect: { timeout: timeoutMs }, keepAliveTimeout: 4_000 });

  const retryDelay = (attempt: number): number => {
    const base = backoffMs[Math.min(attempt - 1, backoffMs.length - 1)] ?? 60_000;
    return Math.max(0, Math.round(base * (1 + jitter * (2 * random() - 1))));
  };

  const attempt = async (delivery: Delivery): Promise<void> => {
    const at = ctx.now();
    const started = performance.now();
    const subscription = await ctx.control.getWebhook(delivery.tenant, delivery.subscriptionId);
    if (!subscription || subscription.deletedAt !== undefined) {
      await ctx.control.recordAttempt(
        delivery.id,
        { at, error: 'the subscription was deleted', durationMs: 0 },
        { status: 'failed' },
      );
      return;
    }
    const body = JSON.stringify(delivery.payload);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Baton-Webhooks/1',
      [SIGNATURE_HEADER.toLowerCase()]: signWebhook(subscription.secret, Math.floor(at / 1000), body),
      'baton-event': delivery.event,
      'baton-delivery': delivery.id,
    };
    const result = await post(agent, subscription.url, headers, body, timeoutMs, maxResponseBytes);
    const logged: DeliveryAttempt = {
      at,
      ...result,
      durationMs: Math.round(performance.now() - started),
    };
    const number = delivery.attempts + 1;
    const ok = result.status !== undefined && result.status >= 200 && result.status < 300;
    await ctx.control.recordAttempt(
      delivery.id,
      logged,
      ok
        ? { status: 'succeeded' }
        : number >= maxAttempts
          ? { status: 'failed' }
          : { status: 'pending', retryAt: at + retryDelay(number) },
    );
  };

  return {
    async send() {
      const deliveries = await ctx.control.claimDeliveries({
        limit: options.batch ?? 20,
        leaseMs: options.leaseMs ?? 60_000,
        now: ctx.now(),
      });
      const settled = await Promise.allSettled(deliveries.map(attempt));
      const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      // The lease returns an unrecorded delivery to the queue; the error still surfaces to the loop.
      if (failure) throw failure.reason;
      return deliveries.length;
    },
    close: () => agent.close(),
  };
}

async function post(
  agent: Agent,
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  maxResponseBytes: number,
): Promise<{ status?: number; error?: string }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  try {
    const response = await request(url, {
      method: 'POST',
      headers,
      body,
      dispatcher: agent,
      signal: abort.signal,
    });
    try {
      await response.body.dump({ limit: maxResponseBytes, signal: abort.signal });
    } catch {
      // The status is already known: a body cut short or too long changes nothing.
    }
    const status = response.statusCode;
    if (status >= 200 && status < 300) return { status };
    if (status >= 300 && status < 400) {
      const location = response.headers.location;
      return { status, error: `redirect to ${String(location ?? '(none)')} not followed` };
    }
    return { status, error: `the receiver answered HTTP ${status}` };
  } catch (error) {
    if (abort.signal.aborted) return { error: `timeout: no answer within ${timeoutMs} ms` };
    const e = error as { code?: string; message?: string };
    return { error: [e.code, e.message].filter(Boolean).join(': ') || String(error) };
  } finally {
    clearTimeout(timer);
  }
}
