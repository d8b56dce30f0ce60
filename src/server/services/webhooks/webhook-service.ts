/**
 * The webhook dispatcher: a loop that reads the history feed into deliveries, then sends the due ones.
 * Any number of server processes may run it at once: the feed cursor is shared, enqueueing is
 * idempotent, and deliveries are leased before they are sent.
 * @module
 */
import type { ServerContext } from '../../context.js';
import { startTicker } from '../ticker.js';
import { createWebhookFeedReader, type WebhookFeedReaderOptions } from './webhook-feed-reader.js';
import { createWebhookSender, type WebhookSenderOptions } from './webhook-sender.js';

/** Options of {@link startWebhookService}. */
export interface WebhookServiceOptions extends WebhookFeedReaderOptions, WebhookSenderOptions {
  /** Pause between rounds. @defaultValue 1000 */
  intervalMs?: number;
  /** Told of a round that failed (the next round tries again). @defaultValue ignore */
  onError?: (error: unknown) => void;
}

/** A running webhook dispatcher. */
export interface WebhookService {
  /** One feed read and one send round, after any round in progress (for tests and shutdown flushes). */
  tick(): Promise<void>;
  /** Stops the loop, waits for the round in progress, closes its connections. */
  stop(): Promise<void>;
}

/**
 * Starts the webhook dispatcher of a server.
 * @example
 * const webhooks = startWebhookService(ctx, { intervalMs: 500 });
 * // ...
 * await webhooks.stop();
 */
export function startWebhookService(ctx: ServerContext, options: WebhookServiceOptions = {}): WebhookService {
  const reader = createWebhookFeedReader(ctx, options);
  const sender = createWebhookSender(ctx, options);
  const onError = options.onError ?? (() => {});
  const ticker = startTicker(
    options.intervalMs ?? 1000,
    async () => {
      // Read first, so that a round sends what it read; a failed read must not hold back the queue.
      let readError: unknown;
      await reader.read().catch((e: unknown) => {
        readError = e ?? new Error('feed read failed');
      });
      await sender.send();
      if (readError !== undefined) throw readError;
    },
    onError,
  );
  return {
    tick: ticker.tick,
    async stop() {
      await ticker.stop();
      await sender.close();
    },
  };
}
