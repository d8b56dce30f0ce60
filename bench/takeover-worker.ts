/** A worker process for the takeover benchmark: holds every step it claims until it is killed. */
import { Baton } from '../src/runtime/baton.js';
import { holdWorkflow } from './workflows.js';

export { holdWorkflow };

if (process.argv[2] && process.send) {
  const baton = await Baton.open({
    dataDir: process.argv[2],
    durability: (process.env.BATON_DURABILITY as 'full') ?? 'full',
  });
  await baton.register(holdWorkflow);
  baton.worker({ concurrency: 1000 });
  process.send('ready');
}
