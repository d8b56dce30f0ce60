import { afterEach } from 'vitest';

/** Registers something to release after the current test. */
export type Defer = (cleanup: () => Promise<void> | void) => void;

/**
 * Cleanups run after each test of the suite (or file) that calls this, the last registered first, so
 * what was opened on a resource is closed before the resource goes.
 */
export function useCleanups(): Defer {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return (cleanup) => {
    cleanups.push(cleanup);
  };
}
