/**
 * Fails a test file that leaves a timer or an interval behind (a worker not stopped, a heartbeat
 * still running): STYLE.md asks that a test which leaks a worker, a timer or a connection fail.
 * The runner's own hook timer is counted in the baseline.
 */
import { afterAll, beforeAll, expect } from 'vitest';

const timers = () => process.getActiveResourcesInfo().filter((type) => type === 'Timeout').length;
let baseline = 0;

beforeAll(() => {
  baseline = timers();
});

afterAll(async () => {
  // Let closing handles finish their last tick.
  await new Promise((resolve) => setImmediate(resolve));
  expect(
    timers(),
    'timers left running after the test file (a worker or engine not closed?)',
  ).toBeLessThanOrEqual(baseline);
});
