/**
 * What the sections of the {@link AgentStore} conformance suite share: the storage an adapter
 * provides, the harness each section receives and the test clock.
 * @module
 */
import { expect } from 'vitest';
import type { AdapterHarness, AdapterStorage } from '../../testing/adapter-conformance.js';
import type { ConformanceSkip } from '../../testing/skippable-test.js';
import type { AgentStoreOptions } from './agent-rows.js';
import type { AgentStore } from './port.js';

/** Fresh, empty storage for one test (see {@link AdapterStorage}). */
export type AgentStoreStorage = AdapterStorage<AgentStore, AgentStoreOptions>;

/** A test an adapter may skip, with the reason. */
export type AgentStoreConformanceSkip = ConformanceSkip;

/** What each section of the suite is given. */
export type ConformanceHarness = AdapterHarness<AgentStore>;

/** Wednesday 18 November 2026, 10:00 UTC. */
export const T0 = Date.UTC(2026, 10, 18, 10);

/** Expects `promise` to reject with a BatonError `INVALID_ARGUMENT`; `what` names the case. */
export async function expectInvalid(promise: Promise<unknown>, what: string): Promise<void> {
  await expect(promise, what).rejects.toMatchObject({ name: 'BatonError', code: 'INVALID_ARGUMENT' });
}
