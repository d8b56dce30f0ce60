/**
 * What the sections of the {@link ControlStore} conformance suite share: the storage an adapter
 * provides, the harness each section receives and the test clock.
 * @module
 */
import { expect } from 'vitest';
import type { AdapterHarness, AdapterStorage } from '../../testing/adapter-conformance.js';
import type { ConformanceSkip } from '../../testing/skippable-test.js';
import type { ControlStoreOptions } from './control-rows.js';
import type { ControlStore } from './port.js';

/** Fresh, empty storage for one test (see {@link AdapterStorage}). */
export type ControlStoreStorage = AdapterStorage<ControlStore, ControlStoreOptions>;

/** A test an adapter may skip, with the reason. */
export type ControlStoreConformanceSkip = ConformanceSkip;

/** What each section of the suite is given. */
export type ConformanceHarness = AdapterHarness<ControlStore>;

/** Saturday 21 November 2026, 10:00 UTC. */
export const T0 = Date.UTC(2026, 10, 21, 10);

/**
 * Expects `promise` to reject with a BatonError `INVALID_ARGUMENT` whose message names `field`; `what`
 * names the case.
 */
export async function expectInvalid(promise: Promise<unknown>, field: string, what = field): Promise<void> {
  await expect(promise, what).rejects.toMatchObject({
    name: 'BatonError',
    code: 'INVALID_ARGUMENT',
    message: expect.stringContaining(field),
  });
}
