/**
 * Crash tests: a worker runs as a child process and is killed with SIGKILL at named fault points (or
 * while runs wait on a timer); a second worker takes over. Every run must finish, every effect must be
 * applied exactly once in the external ledger, finished steps must not run again, and each run's
 * history must be consistent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { HistoryEvent, Run } from '../../src/core/types.js';
import { Baton } from '../../src/runtime/baton.js';
import { tempDir } from '../temp-dir.js';
import { until } from '../until.js';
import { Ledger } from './crash-workflows.js';
import { workerProcesses } from './worker-process.js';

const workers = workerProcesses(new URL('./crash-worker.ts', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  workers.killAll();
  for (const c of cleanups.splice(0).reverse()) await c();
});

const startWorker = (dataDir: string, ledgerPath: string, faults = '') =>
  workers.start([dataDir, ledgerPath], { ...process.env, BATON_FAULTS: faults });

/**
 * The test process reads runs through its own engine but submits through the store: the workflows'
 * code lives in the worker processes (registered there under one content hash), so the first worker
 * must be up before runs are created.
 */
async function setup(faults: string) {
  const { dir, cleanup } = tempDir('baton-crash-');
  const ledgerPath = `${dir}/ledger.db`;
  const ledger = new Ledger(ledgerPath);
  const baton = await Baton.open({ dataDir: dir, durability: 'full' });
  cleanups.push(
    cleanup,
    () => ledger.close(),
    () => baton.close(),
  );
  const first = startWorker(dir, ledgerPath, faults);
  await first.ready;
  const submit = async (workflow: string, input: unknown) =>
    (await baton.store.createRun({ workflow, input })).run.id;
  return { dir, ledgerPath, ledger, baton, first, submit };
}

async function allFinished(baton: Baton, ids: string[]): Promise<Run[] | undefined> {
  const runs = await Promise.all(ids.map((id) => baton.getRun(id)));
  return runs.every((r) => ['succeeded', 'failed', 'cancelled'].includes(r.status)) ? runs : undefined;
}

/** Checks the invariants every run's history must keep, whatever crashed. */
function expectConsistentHistory(events: HistoryEvent[]): void {
  for (let i = 1; i < events.length; i++)
    expect(events[i]?.seq).toBeGreaterThan(events[i - 1]?.seq as number);
  expect(events[0]?.type).toBe('run-created');
  const terminal = events.filter((e) => ['run-succeeded', 'run-failed', 'run-cancelled'].includes(e.type));
  expect(terminal).toHaveLength(1);
  expect(events.at(-1)).toBe(terminal[0]);
  const once = new Map<string, number>();
  for (const e of events) {
    if (['step-succeeded', 'step-failed', 'step-skipped', 'compensation-succeeded'].includes(e.type)) {
      const key = `${e.type}:${e.stepId}`;
      once.set(key, (once.get(key) ?? 0) + 1);
    }
    if (e.type === 'item-succeeded' || e.type === 'attempt-succeeded') {
      const key = `${e.type}:${e.stepId}:${e.item ?? ''}:${e.attempt}`;
      once.set(key, (once.get(key) ?? 0) + 1);
    }
  }
  for (const [key, n] of once) expect(n, key).toBe(1);
}

function callsOf(ledger: Ledger, runId: string): Record<string, number> {
  return Object.fromEntries(
    ledger
      .calls()
      .filter((c) => c.run_id === runId)
      .map((c) => [c.what, c.n]),
  );
}

describe('crash recovery (SIGKILL)', () => {
  it('after a step body finished but before its completion committed', async () => {
    const { dir, ledgerPath, ledger, baton, first, submit } = await setup('step.after-body:charge:3');
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await submit('order', { n: i }));
    expect(await first.exited).toBe('SIGKILL');
    const second = startWorker(dir, ledgerPath);
    const runs = await until('all runs to finish', () => allFinished(baton, ids));
    second.child.kill('SIGTERM');
    expect(runs.map((r) => r.status)).toEqual(ids.map(() => 'succeeded'));
    const effects = ledger.effects();
    expect(effects.filter((e) => e.what === 'charge')).toHaveLength(10);
    expect(effects.filter((e) => e.what === 'reserve')).toHaveLength(10);
    const charges = ids.map((id) => callsOf(ledger, id).charge ?? 0);
    // The charge that was cut off re-ran (at least once), but was applied once.
    expect(charges.some((n) => n === 2)).toBe(true);
    expect(charges.every((n) => n >= 1 && n <= 2)).toBe(true);
    let duplicates = 0;
    for (const id of ids) {
      for (const n of Object.values(callsOf(ledger, id))) duplicates += n - 1;
      expectConsistentHistory(await baton.history(id));
    }
    // Only work in flight at the crash ran twice (the worker runs at most 20 tasks at once).
    expect(duplicates).toBeLessThanOrEqual(20);
  });

  it('in the middle of a fan-out', async () => {
    const { dir, ledgerPath, ledger, baton, first, submit } = await setup('item.after-body:*:30');
    const run = { id: await submit('fanout', { n: 50 }) };
    expect(await first.exited).toBe('SIGKILL');
    const before = await baton.steps(run.id);
    expect(before[0]?.status).toBe('running');
    const second = startWorker(dir, ledgerPath);
    const [done] = await until('the fan-out to finish', () => allFinished(baton, [run.id]));
    second.child.kill('SIGTERM');
    expect(done?.status).toBe('succeeded');
    expect(done?.output).toEqual({ items: Array.from({ length: 50 }, (_, i) => i * 2) });
    expect(ledger.effects().filter((e) => e.what.startsWith('item-'))).toHaveLength(50);
    const calls = callsOf(ledger, run.id);
    const duplicates = Object.values(calls).reduce((sum, n) => sum + n - 1, 0);
    expect(duplicates).toBeGreaterThanOrEqual(1);
    expect(duplicates).toBeLessThanOrEqual(5); // the map's concurrency
    const history = await baton.history(run.id);
    expectConsistentHistory(history);
    expect(history.filter((e) => e.type === 'item-succeeded')).toHaveLength(50);
  });

  it('while runs wait on a durable timer', async () => {
    const { dir, ledgerPath, ledger, baton, first, submit } = await setup('');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await submit('sleeper', { ms: 1500 }));
    await until('all runs to wait', async () =>
      (await Promise.all(ids.map((id) => baton.getRun(id)))).every((r) => r.status === 'waiting'),
    );
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const second = startWorker(dir, ledgerPath);
    const runs = await until('the sleepers to finish', () => allFinished(baton, ids));
    second.child.kill('SIGTERM');
    expect(runs.map((r) => r.status)).toEqual(ids.map(() => 'succeeded'));
    for (const id of ids) {
      // Finished steps were not redone by the second worker.
      expect(callsOf(ledger, id)).toEqual({ before: 1, after: 1 });
      const history = await baton.history(id);
      expectConsistentHistory(history);
      expect(history.filter((e) => e.type === 'timer-fired')).toHaveLength(1);
    }
  });

  it('during a compensation', async () => {
    const { dir, ledgerPath, ledger, baton, first, submit } = await setup('compensate.after-body:*:2');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await submit('saga', {}));
    expect(await first.exited).toBe('SIGKILL');
    const second = startWorker(dir, ledgerPath);
    const runs = await until('the sagas to unwind', () => allFinished(baton, ids));
    second.child.kill('SIGTERM');
    for (const run of runs) {
      expect(run.status).toBe('failed');
      expect(run.error?.code).toBe('SUPPLIER_REFUSED');
      const calls = callsOf(ledger, run.id);
      expect(calls.book).toBe(1);
      expect(calls.pay).toBe(1);
      const history = await baton.history(run.id);
      expectConsistentHistory(history);
      expect(history.filter((e) => e.type === 'compensation-succeeded').map((e) => e.stepId)).toEqual([
        'pay',
        'book',
      ]);
    }
    const effects = ledger.effects();
    expect(effects.filter((e) => e.what === 'refund')).toHaveLength(5);
    expect(effects.filter((e) => e.what === 'unbook')).toHaveLength(5);
  });
});
