/**
 * What the conformance suites of the adapters that open on fresh storage share (the agent store's, the
 * control store's, the gateway ledger's): the storage an adapter provides, the test clock, and the
 * harness each section of a suite receives.
 * @module
 */
import { afterEach } from 'vitest';
import { type ConformanceSkip, skippableTest } from './skippable-test.js';

/**
 * Fresh, empty storage for one test. `open` may be called more than once on it, with or without the
 * previous adapter closed: every adapter opened on it sees what the others wrote.
 */
export interface AdapterStorage<Adapter, Options> {
  open: (options: Options) => Promise<Adapter>;
  /** Removes the storage (temp file, database). Adapters are closed before it runs. */
  cleanup: () => Promise<void>;
}

/** The test clock: every adapter of a test reads it; each fresh storage resets it to the suite's start. */
export interface TestClock {
  t: number;
}

/** What each section of a suite is given. */
export interface AdapterHarness<Adapter> {
  /** `it`, honouring the adapter's skips. */
  test: (title: string, fn: () => Promise<void>) => void;
  /** An adapter on fresh storage or, with `again`, on the storage of the previous call. */
  open: (again?: boolean) => Promise<Adapter>;
  clock: TestClock;
}

/**
 * A conformance suite, as an adapter's `conformance.ts` exports it: run against the adapter whose fresh
 * storage `storage` makes (called once per test).
 */
export type AdapterConformance<Adapter> = (
  name: string,
  storage: () => Promise<AdapterStorage<Adapter, { now?: () => number }>>,
) => void;

/**
 * The harness of a suite's tests, to call inside its `describe`: after each test it closes the
 * adapters the test opened, then removes their storage, in reverse order.
 * @param start - the test clock's time on each fresh storage
 */
export function adapterHarness<Adapter extends { close(): Promise<void> }>(
  storage: () => Promise<AdapterStorage<Adapter, { now: () => number }>>,
  skip: readonly ConformanceSkip[] | undefined,
  start: number,
): AdapterHarness<Adapter> {
  const cleanups: (() => Promise<void>)[] = [];
  const clock = { t: start };
  const now = () => clock.t;
  let current: AdapterStorage<Adapter, { now: () => number }> | undefined;

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function open(again = false): Promise<Adapter> {
    if (!again || !current) {
      clock.t = start;
      current = await storage();
      cleanups.push(current.cleanup);
    }
    const adapter = await current.open({ now });
    cleanups.push(() => adapter.close());
    return adapter;
  }

  return { test: skippableTest(skip), open, clock };
}
