/**
 * An agent's worker is killed with SIGKILL during its tenth model call; another worker takes the step
 * over and resumes at the tenth call. The fake upstream counts model calls and the ledger counts tool
 * invocations: none of the first nine turns is repeated.
 */
import { afterEach, expect, it } from 'vitest';
import { Baton } from '../../src/runtime/baton.js';
import { Ledger } from '../crash/crash-workflows.js';
import { type WorkerProcess, workerProcesses } from '../crash/worker-process.js';
import { type FakeOpenAI, startFakeOpenAI } from '../gateway/fakes/index.js';
import { tempDir } from '../temp-dir.js';
import { until } from '../until.js';

const workers = workerProcesses(new URL('./agent-crash-worker.ts', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  workers.killAll();
  for (const c of cleanups.splice(0).reverse()) await c();
});

const startWorker = (dataDir: string, ledgerPath: string, upstream: string) =>
  workers.start([dataDir, ledgerPath, upstream]);

const TURNS = 12;
const KILL_AT = 10;

it('resumes an agent killed in its tenth iteration at the tenth, repeating no model or tool call', async () => {
  const { dir, cleanup } = tempDir('baton-agent-crash-');
  const ledger = new Ledger(`${dir}/ledger.db`);
  const up: FakeOpenAI = await startFakeOpenAI();
  const baton = await Baton.open({ dataDir: dir, durability: 'full' });
  cleanups.push(
    cleanup,
    () => ledger.close(),
    () => up.close(),
    () => baton.close(),
  );

  let first: WorkerProcess | undefined;
  // Each request's number of tool results says which turn it is: turn k asks for step k.
  up.setScript((request) => {
    const messages = (request.body as { messages: { role: string }[] }).messages;
    const turn = messages.filter((m) => m.role === 'tool').length + 1;
    // The worker dies while the tenth call is in flight: its answer never reaches the journal.
    if (turn === KILL_AT && first?.child.exitCode === null && first.child.signalCode === null) {
      first.child.kill('SIGKILL');
    }
    return turn <= TURNS
      ? { toolCalls: [{ id: `call_${turn}`, name: 'record_step', arguments: { n: turn } }] }
      : { text: `all ${TURNS} steps done` };
  });

  first = startWorker(dir, `${dir}/ledger.db`, up.url);
  await first.ready;
  const { run } = await baton.store.createRun({ workflow: 'chatty', input: { steps: TURNS } });
  expect(await first.exited).toBe('SIGKILL');
  const turnsBefore = up.requests.length;
  expect(turnsBefore).toBe(KILL_AT);

  const second = startWorker(dir, `${dir}/ledger.db`, up.url);
  const done = await until('the agent run to finish', async () => {
    const r = await baton.getRun(run.id);
    return ['succeeded', 'failed', 'cancelled'].includes(r.status) ? r : undefined;
  });
  second.child.kill('SIGTERM');
  expect(done.status).toBe('succeeded');
  expect(done.output).toBe(`all ${TURNS} steps done`);

  // Model calls: turns 1-9 once, turn 10 twice (its answer was lost with the worker), the rest once.
  const turns = up.requests.map(
    (r) => (r.body as { messages: { role: string }[] }).messages.filter((m) => m.role === 'tool').length + 1,
  );
  const counts = new Map<number, number>();
  for (const t of turns) counts.set(t, (counts.get(t) ?? 0) + 1);
  for (let t = 1; t <= TURNS + 1; t++) expect(counts.get(t), `turn ${t}`).toBe(t === KILL_AT ? 2 : 1);
  // Tool calls: each step recorded exactly once.
  const recorded = ledger.calls().filter((c) => c.run_id === run.id);
  expect(recorded).toHaveLength(TURNS);
  expect(recorded.every((c) => c.n === 1)).toBe(true);
  // The takeover shows in the step's attempts.
  const attempts = await baton.attempts(run.id);
  expect(attempts.filter((a) => a.stepId === 'work').map((a) => a.status)).toEqual(['lost', 'succeeded']);
}, 60_000);
