/**
 * A worker process for the agent crash test: `agent-crash-worker.ts <dataDir> <ledger.db> <upstream url>`.
 * It runs the `chatty` workflow, whose agent calls `record_step` once per turn; the ledger counts
 * every invocation of the tool, so a repeated call shows up there.
 */
import { Baton } from '../../src/runtime/baton.js';
import { Ledger } from '../crash/crash-workflows.js';
import { serveUntilSigterm } from '../crash/worker-process.js';
import { startChattyWorker } from './chatty-agent.js';

const [dataDir, ledgerPath, upstream] = process.argv.slice(2) as [string, string, string];
const ledger = new Ledger(ledgerPath);
const baton = await Baton.open({ dataDir, durability: 'full' });
const chatty = await startChattyWorker(baton, {
  dataDir,
  upstream,
  onStep: (n, runId) => ledger.call(runId ?? '', `step-${n}`),
  maxIterations: 30,
});
serveUntilSigterm(chatty.worker, [() => baton.close(), chatty.close, () => ledger.close()]);
