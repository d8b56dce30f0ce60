/**
 * The loop every background service runs on: a tick, then a pause of `intervalMs`, again and again.
 * @module
 */

/** A running loop. */
export interface Ticker {
  /** Runs one tick now, after any tick in progress (ticks never overlap). */
  tick(): Promise<void>;
  /** Stops the loop and waits for a tick in progress to end. */
  stop(): Promise<void>;
}

/**
 * Runs `tick` every `intervalMs` (the first after `intervalMs`). The timer is unref'd so that it never
 * keeps the process alive, and the next tick is scheduled after the previous one ends, so a slow tick
 * delays the next one instead of piling up. A tick that throws is reported to `onError`; the loop goes on.
 */
export function startTicker(
  intervalMs: number,
  tick: () => Promise<void>,
  onError: (error: unknown) => void,
): Ticker {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let last: Promise<void> = Promise.resolve();
  const run = (): Promise<void> => {
    const next = last.then(tick);
    last = next.catch(() => {});
    return next;
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      run().catch(onError).finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  schedule();
  return {
    tick: () => {
      if (stopped) return Promise.resolve();
      return run();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await last;
    },
  };
}
