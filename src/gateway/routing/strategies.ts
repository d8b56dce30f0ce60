/**
 * Route strategies: the order in which a call tries a route's targets. Pure functions over the
 * targets' facts, so they are tested without a network. Every strategy returns every eligible
 * target: the first is tried first and the rest are the fallback chain.
 * @module
 */
import type { ModelPrice } from '../config.js';

/** What a strategy knows about a target. */
export interface TargetFacts {
  /** `provider/model`. */
  name: string;
  weight: number;
  /** Smoothed latency of recent successes in ms; undefined until one succeeded. */
  latencyMs: number | undefined;
  /** Whether its breaker is open (it is then tried last, if at all). */
  open: boolean;
  price: ModelPrice | undefined;
}

/** A route's strategy. */
export type Strategy = 'fallback' | 'weighted' | 'latency' | 'cheapest';

/** The estimated size of the call, for `cheapest`. */
export interface CallSize {
  inputTokens: number;
  outputTokens: number;
}

/**
 * Orders targets for one call. Targets with an open breaker go last, keeping their relative order,
 * so traffic moves to the next target while a breaker is open; `cheapest` drops targets whose
 * context window cannot hold the call.
 * @param random a number in [0, 1), injectable for tests
 */
export function orderTargets<T extends TargetFacts>(
  strategy: Strategy,
  targets: readonly T[],
  size: CallSize,
  random: () => number = Math.random,
): T[] {
  let ordered: T[];
  switch (strategy) {
    case 'fallback':
      ordered = [...targets];
      break;
    case 'weighted':
      ordered = weightedOrder(targets, random);
      break;
    case 'latency':
      ordered = latencyOrder(targets);
      break;
    case 'cheapest':
      ordered = cheapestOrder(targets, size);
      break;
  }
  return [...ordered.filter((t) => !t.open), ...ordered.filter((t) => t.open)];
}

/** Weighted random without replacement: each pick takes a target with probability weight / remaining weight. */
function weightedOrder<T extends TargetFacts>(targets: readonly T[], random: () => number): T[] {
  const left = [...targets];
  const ordered: T[] = [];
  while (left.length > 0) {
    const total = left.reduce((sum, t) => sum + t.weight, 0);
    let point = random() * total;
    let index = left.findIndex((t) => {
      point -= t.weight;
      return point < 0;
    });
    if (index === -1) index = left.length - 1;
    ordered.push(...left.splice(index, 1));
  }
  return ordered;
}

/** Lowest smoothed latency first; targets never measured go first so each gets measured. */
function latencyOrder<T extends TargetFacts>(targets: readonly T[]): T[] {
  return [...targets].sort((a, b) => (a.latencyMs ?? -1) - (b.latencyMs ?? -1));
}

/** Cheapest estimated call first among the targets whose context window fits; unknown prices last. */
function cheapestOrder<T extends TargetFacts>(targets: readonly T[], size: CallSize): T[] {
  const fits = targets.filter(
    (t) =>
      t.price?.contextWindow === undefined || t.price.contextWindow >= size.inputTokens + size.outputTokens,
  );
  const cost = (t: T): number =>
    t.price
      ? t.price.input * size.inputTokens + t.price.output * size.outputTokens
      : Number.POSITIVE_INFINITY;
  return fits.sort((a, b) => cost(a) - cost(b));
}

/** Exponentially weighted moving average of latency. */
export function smoothLatency(previous: number | undefined, sample: number, alpha = 0.3): number {
  return previous === undefined ? sample : previous + alpha * (sample - previous);
}
