/**
 * The feed reader of the webhook dispatcher: it turns new history events into deliveries, one per
 * subscription that wants them.
 *
 * Its position is the control store's cursor `webhooks`, shared by every server process. Each read
 * starts `window` seqs behind the cursor, because Postgres may commit an event with a lower seq after a
 * higher one is already visible: an event that became visible late is still read. Re-reading is
 * harmless, since `enqueueDeliveries` ignores a (subscription, eventKey) it already has; an in-memory set
 * of the keys this process has enqueued keeps it from asking again on every tick.
 * @module
 */
import type { Run } from '../../../core/types.js';
import type { FeedEvent } from '../../../store/port.js';
import type { ServerContext } from '../../context.js';
import type { WebhookEvent, WebhookSubscription } from '../../control/port.js';
import { toWebhookEvents, WEBHOOK_SOURCE_TYPES } from './webhook-events.js';

/** Options of {@link createWebhookFeedReader}. */
export interface WebhookFeedReaderOptions {
  /** The control store cursor it reads from and advances. @defaultValue 'webhooks' */
  cursor?: string;
  /** How many seqs behind the cursor each read starts. @defaultValue 1000 */
  window?: number;
  /** Events per `readFeed` call. @defaultValue 500 */
  pageSize?: number;
  /** Most pages read in one call of `read()`; the rest waits for the next. @defaultValue 20 */
  maxPages?: number;
}

/** Reads the feed and enqueues deliveries. */
export interface WebhookFeedReader {
  /** Reads what is new since the cursor (and the window behind it); returns how many deliveries were new. */
  read(): Promise<number>;
}

/** A feed reader over the context's engine store and control store. */
export function createWebhookFeedReader(
  ctx: ServerContext,
  options: WebhookFeedReaderOptions = {},
): WebhookFeedReader {
  const cursorName = options.cursor ?? 'webhooks';
  const window = options.window ?? 1000;
  const pageSize = options.pageSize ?? 500;
  const maxPages = options.maxPages ?? 20;
  /** `<runId>:<seq>` of events fully enqueued by this process, with their seq (to forget them). */
  const done = new Map<string, number>();

  return {
    async read() {
      const cursor = await ctx.control.readCursor(cursorName);
      let afterSeq = Math.max(0, cursor - window);
      let highest = cursor;
      let created = 0;
      for (let page = 0; page < maxPages; page++) {
        const events = await ctx.baton.readFeed({ afterSeq, types: WEBHOOK_SOURCE_TYPES, limit: pageSize });
        const fresh = events.filter((e) => !done.has(`${e.runId}:${e.seq}`));
        created += await enqueue(ctx, fresh);
        for (const e of fresh) done.set(`${e.runId}:${e.seq}`, e.seq);
        const last = events.at(-1);
        if (last) {
          afterSeq = last.seq;
          highest = Math.max(highest, last.seq);
        }
        if (events.length < pageSize) break;
      }
      if (highest > cursor) await ctx.control.advanceCursor(cursorName, highest);
      for (const [key, seq] of done) if (seq <= highest - window) done.delete(key);
      return created;
    },
  };
}

async function enqueue(ctx: ServerContext, events: FeedEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  const runs = new Map<string, Run | undefined>();
  const subscribers = new Map<string, WebhookSubscription[]>();
  const deliveries: Parameters<ServerContext['control']['enqueueDeliveries']>[0] = [];
  for (const event of events) {
    if (!runs.has(event.runId)) runs.set(event.runId, await ctx.baton.store.getRun(event.runId));
    for (const derived of toWebhookEvents(event, runs.get(event.runId))) {
      const subs = await subscribersOf(ctx, subscribers, event.tenant, derived.event);
      for (const sub of subs) {
        // A subscription hears only what happened after it was created, even when the window re-reads older events.
        if (sub.createdAt > derived.at) continue;
        deliveries.push({
          subscriptionId: sub.id,
          tenant: derived.tenant,
          event: derived.event,
          eventKey: derived.eventKey,
          payload: derived.payload,
        });
      }
    }
  }
  return deliveries.length === 0 ? 0 : ctx.control.enqueueDeliveries(deliveries);
}

async function subscribersOf(
  ctx: ServerContext,
  cache: Map<string, WebhookSubscription[]>,
  tenant: string,
  event: WebhookEvent,
): Promise<WebhookSubscription[]> {
  const key = `${tenant}\u0000${event}`;
  let subs = cache.get(key);
  if (!subs) {
    subs = await ctx.control.subscribersOf(tenant, event);
    cache.set(key, subs);
  }
  return subs;
}
