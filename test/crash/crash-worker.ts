/** A worker process for the crash suite: `crash-worker.ts <dataDir> <ledger.db>`; BATON_FAULTS picks where it dies. */
import { Baton } from '../../src/runtime/baton.js';
import { crashWorkflows, Ledger } from './crash-workflows.js';
import { serveUntilSigterm } from './worker-process.js';

const [dataDir, ledgerPath] = process.argv.slice(2) as [string, string];
const ledger = new Ledger(ledgerPath);
const baton = await Baton.open({ dataDir, durability: 'full' });
for (const wf of crashWorkflows(ledger)) await baton.register(wf);
const worker = baton.worker({ concurrency: 20, leaseMs: 1000, pollMs: 20 });
serveUntilSigterm(worker, [() => baton.close(), () => ledger.close()]);
