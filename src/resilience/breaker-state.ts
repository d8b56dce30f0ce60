/**
 * Circuit breakers as operators see them, for the gateway's targets and the tool hub's tools alike.
 * @module
 */
import { type CircuitBreakerPolicy, CircuitState } from 'cockatiel';

/** The state of a breaker as reported to operators. */
export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

/** The state of a cockatiel breaker in Baton's words. */
export function breakerStateOf(breaker: CircuitBreakerPolicy): BreakerState {
  switch (breaker.state) {
    case CircuitState.Closed:
      return 'closed';
    case CircuitState.Open:
      return 'open';
    case CircuitState.HalfOpen:
      return 'half-open';
    default:
      return 'isolated';
  }
}
