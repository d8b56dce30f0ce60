/**
 * A worker process for the chaos suite: `chaos-worker.ts <open options as JSON> <ledger.db> <worker id>`.
 * Says `{ type: 'ready' }` once its workflows are registered and its worker claims; stops cleanly on SIGTERM.
 */
import { Baton, type BatonOptions } from '../../src/runtime/baton.js';
import { Ledger } from './chaos-ledger.js';
import { chaosWorkflows } from './chaos-workflows.js';

const [options, ledgerPath, id] = process.argv.slice(2) as [string, string, string];
// Still a crash (the process exits), but the suite is told why, with the worker's name.
process.on('uncaughtException', (error) => {
  const reason = error?.stack ?? String(error);
  console.error(`[${id}] crashed: ${reason}`);
  process.send?.({ type: 'crash', reason: reason.split('\n').slice(0, 3).join(' | ') }, () =>
    process.exit(70),
  );
});
const ledger = new Ledger(ledgerPath);
const baton = await Baton.open(JSON.parse(options) as BatonOptions);
for (const wf of chaosWorkflows(ledger)) await baton.register(wf);

// The store is expected to fail while Postgres restarts: count, and show only the first few.
let errors = 0;
const worker = baton.worker({
  id,
  concurrency: 20,
  leaseMs: 1500,
  pollMs: 50,
  onError: (error) => {
    if (++errors <= 3) console.error(`[${id}] worker error: ${(error as Error)?.message ?? error}`);
  },
});
// Installed before saying ready: a SIGTERM right after must find it, not the default (exit at once).
process.on('SIGTERM', () => {
  void (async () => {
    await worker.stop(2000);
    await baton.close();
    ledger.close();
    if (errors > 3) console.error(`[${id}] ${errors} worker errors in all`);
    process.exit(0);
  })();
});
process.send?.({ type: 'ready' });
