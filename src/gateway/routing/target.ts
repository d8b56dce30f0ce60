/**
 * A target at run time: its provider, its upstream model, its circuit breaker (cockatiel) and its
 * measured latency. One per `provider/model` in a gateway, shared by every route that uses it, so
 * a target failing for one route is skipped by the others too.
 * @module
 */
import {
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
} from 'cockatiel';
import { type BreakerState, breakerStateOf } from '../../resilience/breaker-state.js';
import { ProviderError } from '../errors.js';
import type { Provider } from '../providers/provider.js';
import { smoothLatency } from './strategies.js';

/** Breaker settings. */
export interface BreakerOptions {
  /** Consecutive retryable failures that open the breaker. */
  consecutiveFailures: number;
  /** How long it stays open before one trial call is let through. */
  halfOpenAfterMs: number;
}

export type { BreakerState };

/** The last failure that counted against a target's breaker. */
export interface TargetFailure {
  /** Ms since the epoch. */
  at: number;
  /** The provider error's code (`PROVIDER_TIMEOUT`, `PROVIDER_UNAVAILABLE`...). */
  code: string;
}

/** One `provider/model` with its breaker and latency. */
export class Target {
  readonly name: string;
  readonly provider: Provider;
  /** The model name at the provider. */
  readonly model: string;
  readonly breaker: CircuitBreakerPolicy;
  latencyMs: number | undefined;
  readonly #halfOpenAfterMs: number;
  readonly #counter: ConsecutiveBreaker;
  readonly #now: () => number;
  #openedAt = 0;
  #changedAt: number | undefined;
  #lastFailure: TargetFailure | undefined;

  /** `now` stamps what operators read ({@link Target.changedAt}, {@link Target.lastFailure}). */
  constructor(name: string, provider: Provider, breaker: BreakerOptions, now: () => number = Date.now) {
    this.name = name;
    this.provider = provider;
    this.model = name.slice(name.indexOf('/') + 1);
    this.#now = now;
    this.#counter = new ConsecutiveBreaker(breaker.consecutiveFailures);
    // Only failures a retry could cure say the target is unhealthy: a bad request says nothing about it.
    this.breaker = circuitBreaker(
      handleWhen((err) => err instanceof ProviderError && err.retryable),
      {
        halfOpenAfter: breaker.halfOpenAfterMs,
        breaker: this.#counter,
      },
    );
    this.#halfOpenAfterMs = breaker.halfOpenAfterMs;
    this.breaker.onBreak(() => {
      this.#openedAt = performance.now();
    });
    this.breaker.onStateChange(() => {
      this.#changedAt = this.#now();
    });
    this.breaker.onFailure(({ handled, reason }) => {
      if (!handled) return;
      const error = 'error' in reason ? reason.error : undefined;
      this.#lastFailure = {
        at: this.#now(),
        code: error instanceof ProviderError ? error.code : 'PROVIDER_UNAVAILABLE',
      };
    });
  }

  /** When the breaker last changed state (ms since the epoch); undefined while it never has. */
  get changedAt(): number | undefined {
    return this.#changedAt;
  }

  /** Retryable failures in a row since the last success (what opens the breaker). */
  get consecutiveFailures(): number {
    return this.#counter.state;
  }

  /** The last failure that counted against the breaker, if any. */
  get lastFailure(): TargetFailure | undefined {
    return this.#lastFailure;
  }

  /** While open: when a trial call will be let through (ms since the epoch). */
  get retryAt(): number | undefined {
    if (this.breaker.state !== CircuitState.Open || this.#changedAt === undefined) return undefined;
    return this.#changedAt + this.#halfOpenAfterMs;
  }

  /**
   * Whether calls are currently refused. cockatiel moves an open breaker to half-open only when a
   * call tries it, so once the delay has passed the target counts as closed: it gets the trial call.
   */
  get open(): boolean {
    if (this.breaker.state === CircuitState.Isolated) return true;
    return (
      this.breaker.state === CircuitState.Open && performance.now() - this.#openedAt < this.#halfOpenAfterMs
    );
  }

  get state(): BreakerState {
    return breakerStateOf(this.breaker);
  }

  /** Records a success's latency. */
  observe(latencyMs: number): void {
    this.latencyMs = smoothLatency(this.latencyMs, latencyMs);
  }
}
