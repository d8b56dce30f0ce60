/**
 * What Baton's conformance suites (the store's, the gateway ledger's) share: an adapter may skip a
 * test, but only by naming it and saying why, and the reason shows in the test's title.
 * @module
 */
import { it } from 'vitest';

/** A test an adapter skips, with the reason. */
export interface ConformanceSkip {
  test: string;
  reason: string;
}

/** `it`, honouring the adapter's skips. */
export function skippableTest(
  skips: readonly ConformanceSkip[] = [],
): (title: string, fn: () => Promise<void>) => void {
  const skipped = new Map(skips.map((s) => [s.test, s.reason]));
  return (title, fn) => {
    const reason = skipped.get(title);
    if (reason) it.skip(`${title} (skipped: ${reason})`, fn);
    else it(title, fn);
  };
}
