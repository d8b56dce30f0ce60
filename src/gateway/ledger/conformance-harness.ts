/**
 * What the sections of the {@link GatewayLedger} conformance suite share: the storage an adapter
 * provides, the harness each section receives, the test clock and a request-log entry builder.
 * @module
 */
import type { ConformanceSkip } from '../../testing/skippable-test.js';
import type { GatewayLedger, LedgerOptions, RequestLogEntry } from './port.js';

/**
 * Fresh, empty storage for one test. `open` may be called more than once on it: a second ledger opened
 * after the first is closed must see what the first wrote.
 */
export interface LedgerStorage {
  open: (options: LedgerOptions) => Promise<GatewayLedger>;
  /** Removes the storage (temp file, database). Ledgers are closed before it runs. */
  cleanup: () => Promise<void>;
}

/** A test an adapter may skip, with the reason. */
export type LedgerConformanceSkip = ConformanceSkip;

/** The test clock: every ledger of a test reads it; each fresh storage resets it to {@link T0}. */
export interface TestClock {
  t: number;
}

/** What each section of the suite is given. */
export interface ConformanceHarness {
  /** `it`, honouring the adapter's skips. */
  test: (title: string, fn: () => Promise<void>) => void;
  /** A ledger on fresh storage or, with `again`, on the storage of the previous call. */
  open: (again?: boolean) => Promise<GatewayLedger>;
  clock: TestClock;
}

/** Wednesday 18 November 2026, 10:00 UTC: its week started Monday 16, its month on Sunday 1. */
export const T0 = Date.UTC(2026, 10, 18, 10);
/** An hour in milliseconds. */
export const HOUR = 3_600_000;
/** A day in milliseconds. */
export const DAY = 24 * HOUR;

/** A request-log entry with every required field; `extra` overrides. */
export function request(id: string, at: number, extra: Partial<RequestLogEntry> = {}): RequestLogEntry {
  return {
    id,
    at,
    tenant: 'acme',
    route: 'fast',
    endpoint: 'chat',
    stream: false,
    status: 'ok',
    inputTokens: 10,
    outputTokens: 20,
    cachedInputTokens: 0,
    reasoningTokens: 0,
    costUsd: 0.001,
    latencyMs: 120,
    cacheHit: false,
    retries: 0,
    fallbacks: 0,
    ...extra,
  };
}
