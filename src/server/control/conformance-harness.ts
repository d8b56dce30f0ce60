/**
 * What the sections of the {@link ControlStore} conformance suite share: the storage an adapter
 * provides, the harness each section receives and the test clock.
 * @module
 */
import { expect } from 'vitest';
import type { ConformanceSkip } from '../../testing/skippable-test.js';
import type { ControlStoreOptions } from './control-rows.js';
import type { ControlStore } from './port.js';

/**
 * Fresh, empty storage for one test. `open` may be called more than once on it, with or without the
 * previous store closed: every store opened on it sees what the others wrote.
 */
export interface ControlStoreStorage {
  open: (options: ControlStoreOptions) => Promise<ControlStore>;
  /** Removes the storage (temp file, database). Stores are closed before it runs. */
  cleanup: () => Promise<void>;
}

/** A test an adapter may skip, with the reason. */
export type ControlStoreConformanceSkip = ConformanceSkip;

/** The test clock: every store of a test reads it; each fresh storage resets it to {@link T0}. */
export interface TestClock {
  t: number;
}

/** What each section of the suite is given. */
export interface ConformanceHarness {
  /** `it`, honouring the adapter's skips. */
  test: (title: string, fn: () => Promise<void>) => void;
  /** A store on fresh storage or, with `again`, on the storage of the previous call. */
  open: (again?: boolean) => Promise<ControlStore>;
  clock: TestClock;
}

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
