/** A worker process for the takeover benchmark: holds every step it claims until it is killed. */
import { z } from 'zod';
import { workflow } from '../src/core/builder.js';
import { Baton } from '../src/runtime/baton.js';

/** One step that blocks forever in the first worker (BENCH_BLOCK=1) and returns at once elsewhere. */
export const holdWorkflow = workflow({ name: 'hold', version: '1', input: z.object({}) })
  .step('hold', {
    run: ({ signal }) =>
      process.env.BENCH_BLOCK === '1'
        ? new Promise((resolve) => signal.addEventListener('abort', () => resolve(null)))
        : null,
  })
  .build();

if (process.argv[2] && process.send) {
  const baton = await Baton.open({
    dataDir: process.argv[2],
    durability: (process.env.BATON_DURABILITY as 'full') ?? 'full',
  });
  await baton.register(holdWorkflow);
  baton.worker({ concurrency: 1000 });
  process.send('ready');
}
