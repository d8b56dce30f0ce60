/**
 * The two ways a streamed call reaches its client once admitted: replayed from the cache, or
 * committed to the target whose first content arrived. Either way the caller gets a
 * {@link GatewayStream} whose `meta` settles exactly once, when the stream has ended, failed, or been
 * abandoned.
 * @module
 */
import { chunksOf, responseOf } from './cached-stream.js';
import type { CallPlan } from './call-plan.js';
import type { AttemptControl } from './routing/route-runner.js';
import type { HeldStream } from './routing/stream-hold.js';
import type { Target } from './routing/target.js';
import { pumpStream, type StreamEnd } from './stream-pump.js';
import type { ChatChunk, ChatResponse, Usage } from './types.js';
import { usageToWire } from './types.js';

/** Facts about a finished call, returned with its answer and written to the request log. */
export interface CallMeta {
  id: string;
  /** The model the caller asked for. */
  model: string;
  /** The route that served it. */
  route: string;
  /** The target that answered, `provider/model`. */
  target?: string;
  usage?: Usage;
  costUsd: number;
  /** False when the target has no price: the call was counted at $0. */
  priced: boolean;
  cacheHit: boolean;
  retries: number;
  fallbacks: number;
  /** The answer came from the offline provider. */
  offline: boolean;
  latencyMs: number;
  ttftMs?: number;
}

/** A streamed answer: iterate it for chunks; `meta` settles once it has ended. */
export interface GatewayStream extends AsyncIterable<ChatChunk> {
  /** The call's id in the request log (its cost is there once the stream has ended). */
  readonly id: string;
  readonly route: string;
  readonly target: string;
  readonly offline: boolean;
  readonly cacheHit: boolean;
  readonly meta: Promise<CallMeta>;
}

/** The `baton` field every answer carries: what served it and what it cost. */
export function batonField(
  meta: Pick<CallMeta, 'id' | 'route' | 'target' | 'costUsd' | 'cacheHit' | 'offline'>,
) {
  return {
    request_id: meta.id,
    route: meta.route,
    target: meta.target ?? '',
    cost_usd: meta.costUsd,
    cache_hit: meta.cacheHit,
    offline: meta.offline,
  };
}

/** A cached answer replayed as a stream; only the usage chunk the client asked for is sent. */
export function cachedStream(
  plan: CallPlan,
  answer: ChatResponse,
  meta: CallMeta,
  forwardUsage: boolean,
): GatewayStream {
  const chunks = chunksOf(answer)
    .filter((c) => forwardUsage || c.choices.length > 0)
    .map((c) => (c.choices.length === 0 ? { ...c, baton: batonField(meta) } : c));
  return {
    id: plan.id,
    route: plan.route.name,
    target: meta.target ?? '',
    offline: meta.offline,
    cacheHit: true,
    meta: Promise.resolve(meta),
    [Symbol.asyncIterator]: async function* () {
      yield* chunks;
    },
  };
}

/** What a committed stream needs from the gateway when it ends. */
export interface StreamSettlement {
  /** Settles budget and limits with the usage, and builds the call's meta. */
  settle(usage: Usage, ttftMs: number): CallMeta;
  /** Stores the answer of a stream that finished. */
  store(answer: ChatResponse): void;
  /** Appends the call to the request log. */
  record(meta: CallMeta, end: StreamEnd, answer: ChatResponse): void;
  /** The cost of `usage` at the target's price, for the usage chunk. */
  costOf(usage: Usage): number;
}

/** The held stream of the target that answered, forwarded to the caller. */
export function committedStream(
  plan: CallPlan,
  target: Target,
  attempt: { held: HeldStream; control: AttemptControl },
  facts: { started: number; ttftMs: number; forwardUsage: boolean; cancelled: () => boolean },
  settlement: StreamSettlement,
): GatewayStream {
  const { held, control } = attempt;
  const first = held.held[0];
  const offline = target.provider.offline === true;
  let resolveMeta!: (meta: CallMeta) => void;
  const meta = new Promise<CallMeta>((resolve) => {
    resolveMeta = resolve;
  });
  const onEnd = (end: StreamEnd): void => {
    const usage = end.usage ?? { ...plan.estimatedUsage(), outputTokens: end.estimatedOutputTokens };
    const m = settlement.settle(usage, facts.ttftMs);
    const answer = responseOf(end, {
      id: first?.id ?? plan.id,
      created: first?.created ?? Math.floor(facts.started / 1000),
      model: first?.model ?? target.model,
      usage: end.usage ? usageToWire(end.usage) : undefined,
    });
    if (end.status === 'ok') settlement.store(answer);
    settlement.record(m, end, answer);
    resolveMeta(m);
  };
  const chunks = pumpStream(held, control, {
    target: target.name,
    idleTimeoutMs: plan.timeoutMs(target),
    masking: plan.masking,
    forwardUsage: facts.forwardUsage,
    cancelled: facts.cancelled,
    decorateUsage: (chunk, usage) => ({
      ...chunk,
      baton: batonField({
        id: plan.id,
        route: plan.route.name,
        target: target.name,
        costUsd: settlement.costOf(usage),
        cacheHit: false,
        offline,
      }),
    }),
    onEnd,
  });
  return {
    id: plan.id,
    route: plan.route.name,
    target: target.name,
    offline,
    cacheHit: false,
    meta,
    [Symbol.asyncIterator]: () => chunks,
  };
}
