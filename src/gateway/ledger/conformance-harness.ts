/**
 * What the sections of the {@link GatewayLedger} conformance suite share: the storage an adapter
 * provides, the harness each section receives, the test clock and a request-log entry builder.
 * @module
 */
import type { AdapterHarness, AdapterStorage } from '../../testing/adapter-conformance.js';
import type { ConformanceSkip } from '../../testing/skippable-test.js';
import type { GatewayLedger, LedgerOptions, RequestLogEntry } from './port.js';

/** Fresh, empty storage for one test (see {@link AdapterStorage}). */
export type LedgerStorage = AdapterStorage<GatewayLedger, LedgerOptions>;

/** A test an adapter may skip, with the reason. */
export type LedgerConformanceSkip = ConformanceSkip;

/** What each section of the suite is given. */
export type ConformanceHarness = AdapterHarness<GatewayLedger>;

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
