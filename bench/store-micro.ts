/** Store-only throughput: 1,000 runs of 10 no-op steps, 50 in flight, driven by claim/complete with no worker. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RETRY } from '../src/core/retry.js';
import type { ClaimedTask } from '../src/core/types.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';

const store = new SqliteStore({
  path: join(mkdtempSync(join(tmpdir(), 'micro-')), 'db'),
  durability: 'full',
});
await store.init();
const steps = Array.from({ length: 10 }, (_, i) => ({
  id: `s${i}`,
  kind: 'fn',
  needs: i ? [`s${i - 1}`] : [],
  conditional: false,
  retry: DEFAULT_RETRY,
  effect: false,
  idempotent: false,
  compensable: false,
}));
await store.registerVersion({
  workflow: 'w',
  label: '1',
  hash: 'h',
  source: 'spec',
  graph: { workflow: 'w', steps, hasOutput: false },
  definition: {},
});
const runs = 1000;
const t0 = performance.now();
let created = 0;
const lane = async () => {
  while (created < runs) {
    created++;
    await store.createRun({ workflow: 'w', input: {} });
    let [task] = await store.claimTasks({ workerId: 'w', limit: 1, leaseMs: 10000 });
    while (task) {
      const r = await store.completeTask({
        task: task as ClaimedTask,
        workerId: 'w',
        outcome: { type: 'succeeded', output: null },
        dispatch: 1,
        leaseMs: 10000,
      });
      task = r.dispatched[0];
    }
  }
};
await Promise.all(Array.from({ length: 50 }, lane));
const s = (performance.now() - t0) / 1000;
console.log('store_only_transitions_per_s', Math.round((runs * 10) / s));
