/**
 * The conformance suite of the {@link Store} port. Every adapter runs it unchanged; a skip must state
 * its reason. Third-party adapters can run it too:
 * @example
 * import { storeConformance } from 'baton/conformance';
 * storeConformance('my-adapter', async (options) => ({ store: new MyStore(options), cleanup: async () => {} }));
 * @module
 */
import { afterEach, describe, expect } from 'vitest';
import { DEFAULT_RETRY } from '../core/retry.js';
import type { ClaimedTask, Graph, StepNode, StepOutcome } from '../core/types.js';
import { type ConformanceSkip, skippableTest } from '../testing/skippable-test.js';
import { approvalConformance } from './conformance-approvals.js';
import { eventConformance } from './conformance-events.js';
import { statsConformance } from './conformance-stats.js';
import type { Store, StoreOptions } from './port.js';

/** Makes a fresh, empty store (not yet initialised) for one test. */
export type StoreFactory = (options: StoreOptions) => Promise<{ store: Store; cleanup: () => Promise<void> }>;

/** Tests an adapter may skip, each with the reason. */
export type { ConformanceSkip };

const noRetry = { ...DEFAULT_RETRY, maxAttempts: 1 };

function node(id: string, needs: string[] = [], extra: Partial<StepNode> = {}): StepNode {
  return {
    id,
    kind: 'fn',
    needs,
    conditional: false,
    retry: noRetry,
    effect: false,
    idempotent: false,
    compensable: false,
    ...extra,
  };
}

function graph(workflow: string, steps: StepNode[], hasOutput = false): Graph {
  return { workflow, steps, hasOutput };
}

/** A controllable clock. */
class Clock {
  t = 1_800_000_000_000;
  now = () => this.t;
  advance(ms: number) {
    this.t += ms;
  }
}

/** Runs the Store conformance suite against the adapter `factory` makes. */
export function storeConformance(
  name: string,
  factory: StoreFactory,
  options: { skip?: ConformanceSkip[] } = {},
): void {
  const test = skippableTest(options.skip);

  describe(`Store conformance: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    let clock: Clock;

    afterEach(async () => {
      for (const c of cleanups.splice(0)) await c();
    });

    async function open(random = () => 0.5, extra: StoreOptions = {}): Promise<Store> {
      clock = new Clock();
      const { store, cleanup } = await factory({ now: clock.now, random, maxPayloadBytes: 10_000, ...extra });
      await store.init();
      cleanups.push(async () => {
        await store.close();
        await cleanup();
      });
      return store;
    }

    async function register(store: Store, g: Graph, hash = 'h1') {
      return (
        await store.registerVersion({
          workflow: g.workflow,
          label: '1',
          hash,
          source: 'spec',
          graph: g,
          definition: { g },
        })
      ).version;
    }

    /** Claims and completes tasks with `handler` until none is ready. Returns the tasks seen. */
    async function drain(
      store: Store,
      handler: (t: ClaimedTask) => StepOutcome,
      workerId = 'w1',
    ): Promise<ClaimedTask[]> {
      const seen: ClaimedTask[] = [];
      for (let i = 0; i < 1000; i++) {
        const tasks = await store.claimTasks({ workerId, limit: 10, leaseMs: 1000 });
        if (tasks.length === 0) return seen;
        seen.push(...tasks);
        await Promise.all(tasks.map((t) => store.completeTask({ task: t, workerId, outcome: handler(t) })));
      }
      throw new Error('drain did not converge');
    }

    const ok = (output: unknown = null): StepOutcome => ({ type: 'succeeded', output });

    const helpers = {
      test,
      open: () => open(),
      clock: () => clock,
      drain: (s: Store, h: (t: ClaimedTask) => StepOutcome) => drain(s, h),
    };
    approvalConformance(helpers);
    eventConformance(helpers);
    statsConformance(helpers);

    test('registers versions once per content, numbered per workflow', async () => {
      const store = await open();
      const g = graph('wf', [node('a')]);
      const v1 = await register(store, g, 'h1');
      const again = await store.registerVersion({
        workflow: 'wf',
        label: '1',
        hash: 'h1',
        source: 'spec',
        graph: g,
        definition: {},
      });
      expect(again.created).toBe(false);
      expect(again.version.id).toBe(v1.id);
      const v2 = await register(store, graph('wf', [node('a'), node('b', ['a'])]), 'h2');
      expect([v1.id, v2.id]).toEqual(['wf@1', 'wf@2']);
      expect((await store.getLatestVersion('wf'))?.id).toBe('wf@2');
      expect((await store.listVersions('wf')).map((v) => v.number)).toEqual([1, 2]);
      expect(await store.listWorkflows()).toEqual([expect.objectContaining({ workflow: 'wf', versions: 2 })]);
      expect((await store.getVersion('wf@2'))?.graph.steps).toHaveLength(2);
    });

    test('creates a run that is started with its root steps ready, idempotently per key', async () => {
      const store = await open();
      await register(store, graph('wf', [node('a'), node('b'), node('c', ['a', 'b'])]));
      const { run, created } = await store.createRun({
        workflow: 'wf',
        input: { x: 1 },
        idempotencyKey: 'k',
        tags: ['t1'],
      });
      expect(created).toBe(true);
      expect(run.status).toBe('running');
      const second = await store.createRun({ workflow: 'wf', input: { x: 2 }, idempotencyKey: 'k' });
      expect(second).toMatchObject({ run: { id: run.id }, created: false, dispatched: [] });
      const tasks = await store.claimTasks({ workerId: 'w', limit: 10, leaseMs: 1000 });
      expect(tasks.map((t) => t.stepId).sort()).toEqual(['a', 'b']);
      expect(tasks[0]?.run.input).toEqual({ x: 1 });
      expect((await store.listRuns({ tag: 't1' })).map((r) => r.id)).toEqual([run.id]);
    });

    test("leases a new run's root tasks to a worker in the same transaction when asked", async () => {
      const store = await open();
      await register(store, graph('wf', [node('a'), node('b'), node('c', ['a', 'b'])]));
      const { dispatched } = await store.createRun({
        workflow: 'wf',
        input: { x: 1 },
        dispatchTo: { workerId: 'w1', limit: 1, leaseMs: 1000 },
      });
      expect(dispatched).toHaveLength(1);
      expect(dispatched[0]?.run.input).toEqual({ x: 1 });
      const rest = await store.claimTasks({ workerId: 'w2', limit: 10, leaseMs: 1000 });
      expect(rest).toHaveLength(1);
      expect(rest[0]?.stepId).not.toBe(dispatched[0]?.stepId);
    });

    test('refuses runs of unknown workflows and writes nothing', async () => {
      const store = await open();
      await expect(store.createRun({ workflow: 'nope', input: {} })).rejects.toMatchObject({
        code: 'WORKFLOW_NOT_FOUND',
      });
      expect(await store.listRuns()).toEqual([]);
    });

    test('commits an outcome and schedules the successors in one step; a step never starts before its needs', async () => {
      const store = await open();
      await register(
        store,
        graph('wf', [node('a'), node('b', ['a']), node('c', ['a']), node('d', ['b', 'c'])]),
      );
      const { run } = await store.createRun({ workflow: 'wf', input: null });
      const order: string[] = [];
      const done = new Set<string>();
      await drain(store, (t) => {
        const needs = { a: [], b: ['a'], c: ['a'], d: ['b', 'c'] }[t.stepId as 'a'] as string[];
        for (const n of needs) expect(done.has(n)).toBe(true);
        order.push(t.stepId);
        done.add(t.stepId);
        return ok(`${t.stepId}-out`);
      });
      expect(order[0]).toBe('a');
      expect(order.at(-1)).toBe('d');
      const finished = await store.getRun(run.id);
      expect(finished?.status).toBe('succeeded');
      expect(finished?.output).toEqual({ d: 'd-out' });
      const steps = await store.getSteps(run.id);
      expect(steps.every((s) => s.status === 'succeeded')).toBe(true);
    });

    test('creates a run with seeded steps: succeeded with their outputs, never executed, history says where from', async () => {
      const store = await open();
      await register(
        store,
        graph('wf', [
          node('a'),
          node('b', ['a']),
          node('c', ['b']),
          node('x'),
          node('y', ['x']),
          node('z', ['y']),
        ]),
      );
      const { run } = await store.createRun({
        workflow: 'wf',
        input: null,
        seed: { fromRun: 'run-old', outputs: { a: { v: 1 }, x: 'kept', ghost: 1 }, skipped: ['y'] },
      });
      const ran: string[] = [];
      await drain(store, (t) => {
        ran.push(t.stepId);
        return ok({ from: t.stepId, a: t.steps.a?.output });
      });
      expect(ran).toEqual(['b', 'c']);
      const steps = new Map((await store.getSteps(run.id)).map((s) => [s.stepId, s]));
      expect(steps.get('a')).toMatchObject({ status: 'succeeded', output: { v: 1 } });
      expect(steps.get('x')).toMatchObject({ status: 'succeeded', output: 'kept' });
      expect(steps.get('b')?.output).toEqual({ from: 'b', a: { v: 1 } });
      const reused = (await store.getHistory(run.id)).filter((e) => e.type === 'step-reused');
      expect(reused.map((e) => [e.stepId, e.data])).toEqual([
        ['a', { fromRun: 'run-old' }],
        ['x', { fromRun: 'run-old' }],
        ['y', { fromRun: 'run-old', skipped: true }],
      ]);
      expect(steps.get('y')?.status).toBe('skipped');
      expect(steps.get('z')?.status).toBe('skipped');
      expect((await store.getRun(run.id))?.status).toBe('succeeded');
      const all = await store.createRun({
        workflow: 'wf',
        input: null,
        seed: { fromRun: 'run-old', outputs: { a: 1, b: 2, c: 3, x: 4, y: 5, z: 6 } },
      });
      expect(all.run.status).toBe('succeeded');
      expect(all.run.output).toEqual({ c: 3, z: 6 });
    });

    test('leases successors to the completing worker when asked (dispatch)', async () => {
      const store = await open();
      await register(store, graph('wf', [node('a'), node('b', ['a'])]));
      await store.createRun({ workflow: 'wf', input: null });
      const [a] = await store.claimTasks({ workerId: 'w1', limit: 5, leaseMs: 1000 });
      const result = await store.completeTask({
        task: a as ClaimedTask,
        workerId: 'w1',
        outcome: ok(1),
        dispatch: 1,
        leaseMs: 1000,
      });
      expect(result.accepted).toBe(true);
      expect(result.dispatched.map((t) => t.stepId)).toEqual(['b']);
      expect(result.dispatched[0]?.steps.a?.output).toBe(1);
      expect(await store.claimTasks({ workerId: 'w2', limit: 5, leaseMs: 1000 })).toEqual([]);
    });

    test('takes over an expired lease; the old worker can no longer complete it', async () => {
      const store = await open();
      await register(store, graph('wf', [node('a')]));
      const { run } = await store.createRun({ workflow: 'wf', input: null });
      const [t1] = await store.claimTasks({ workerId: 'w1', limit: 1, leaseMs: 1000 });
      expect(await store.claimTasks({ workerId: 'w2', limit: 1, leaseMs: 1000 })).toEqual([]);
      clock.advance(500);
      expect(
        (await store.renewLeases({ workerId: 'w1', taskIds: [t1?.id as string], leaseMs: 1000 })).lost,
      ).toEqual([]);
      clock.advance(900);
      expect(await store.claimTasks({ workerId: 'w2', limit: 1, leaseMs: 1000 })).toEqual([]);
      clock.advance(200);
      const [t2] = await store.claimTasks({ workerId: 'w2', limit: 1, leaseMs: 1000 });
      expect(t2?.stepId).toBe('a');
      expect(t2?.attempt).toBe(t1?.attempt);
      const stale = await store.completeTask({ task: t1 as ClaimedTask, workerId: 'w1', outcome: ok('old') });
      expect(stale.accepted).toBe(false);
      expect(
        (await store.renewLeases({ workerId: 'w1', taskIds: [t1?.id as string], leaseMs: 1000 })).lost,
      ).toEqual([t1?.id]);
      await store.completeTask({ task: t2 as ClaimedTask, workerId: 'w2', outcome: ok('new') });
      expect((await store.getRun(run.id))?.output).toEqual({ a: 'new' });
      expect((await store.getHistory(run.id)).some((e) => e.type === 'lease-taken-over')).toBe(true);
    });

    test('a stale worker completing together with the lease holder is refused; a repeated completion counts once', async () => {
      const store = await open();
      await register(store, graph('wf', [node('a')]));
      const { run } = await store.createRun({ workflow: 'wf', input: null });
      const [t1] = await store.claimTasks({ workerId: 'w1', limit: 1, leaseMs: 1000 });
      clock.advance(1001);
      const [t2] = await store.claimTasks({ workerId: 'w2', limit: 1, leaseMs: 1000 });
      expect(t2?.id).toBe(t1?.id);
      // Same event-loop turn: group-committing adapters put all three in one batch.
      const [stale, fresh, again] = await Promise.all([
        store.completeTask({ task: t1 as ClaimedTask, workerId: 'w1', outcome: ok('stale') }),
        store.completeTask({ task: t2 as ClaimedTask, workerId: 'w2', outcome: ok('fresh') }),
        store.completeTask({ task: t2 as ClaimedTask, workerId: 'w2', outcome: ok('again') }),
      ]);
      expect([stale.accepted, fresh.accepted, again.accepted]).toEqual([false, true, false]);
      expect((await store.getRun(run.id))?.output).toEqual({ a: 'fresh' });
      const ended = (await store.listAttempts(run.id)).filter((a) => a.status === 'succeeded');
      expect(ended.map((a) => a.workerId)).toEqual(['w2']);
    });

    test('releasing a task the worker no longer holds changes nothing', async () => {
      const store = await open();
      await register(store, graph('wf', [node('a')]));
      const { run } = await store.createRun({ workflow: 'wf', input: null });
      const [t1] = await store.claimTasks({ workerId: 'w1', limit: 1, leaseMs: 1000 });
      clock.advance(1001);
      const [t2] = await store.claimTasks({ workerId: 'w2', limit: 1, leaseMs: 1000 });
      const released = await store.releaseTask({
        taskId: t1?.id as string,
        workerId: 'w1',
        delayMs: 0,
        reason: 'x',
      });
      expect(released).toBe(false);
      expect((await store.getHistory(run.id)).some((e) => e.type === 'task-released')).toBe(false);
      expect((await store.getSteps(run.id)).find((st) => st.stepId === 'a')?.status).toBe('running');
      expect(
        (await store.completeTask({ task: t2 as ClaimedTask, workerId: 'w2', outcome: ok(1) })).accepted,
      ).toBe(true);
    });

    test('accepts times with a fraction of a millisecond (a Retry-After of 1.5 s, a computed wake-up)', async () => {
      const store = await open();
      await register(store, graph('wf', [node('nap', [], { kind: 'wait' }), node('after', ['nap'])]));
      const { run } = await store.createRun({ workflow: 'wf', input: null, deadlineAt: clock.t + 60_000.5 });
      await drain(store, (t) =>
        t.stepId === 'nap'
          ? { type: 'suspended', wait: { type: 'sleep', until: clock.t + 1000.5 } }
          : ok('after'),
      );
      expect((await store.getRun(run.id))?.status).toBe('waiting');
      clock.advance(1001);
      expect(await store.fireDueTimers(10)).toBe(1);
      await drain(store, () => ok('after'));
      expect((await store.getRun(run.id))?.status).toBe('succeeded');
    });

    test('a run-finished listener that throws does not undo or fail the write', async () => {
      const store = await open();
      await register(store, graph('wf', [node('a')]));
      const { run } = await store.createRun({ workflow: 'wf', input: null });
      store.onRunFinished(() => {
        throw new Error('listener bug');
      });
      const cancelled = await store.cancelRun(run.id, 'test');
      expect(cancelled.status).toBe('cancelled');
      expect((await store.getRun(run.id))?.status).toBe('cancelled');
    });

    test('an attempt whose lease expires three times counts as failed, so retries bound it', async () => {
      const store = await open();
      await register(store, graph('wf', [node('crashy')]));
      const { run } = await store.createRun({ workflow: 'wf', input: null });
      for (let i = 0; i < 3; i++) {
        const [t] = await store.claimTasks({ workerId: `w${i}`, limit: 1, leaseMs: 100 });
        expect(t?.attempt).toBe(1);
        clock.advance(200);
      }
      // The claim that finds the third expiry fails the attempt (maxAttempts 1 here) instead of re-queueing it.
      expect(await store.claimTasks({ workerId: 'w3', limit: 1, leaseMs: 100 })).toEqual([]);
      const failed = await store.getRun(run.id);
      expect(failed?.status).toBe('failed');
      expect(failed?.error?.code).toBe('WORKER_LOST_LEASE');
      expect((await store.listAttempts(run.id)).map((a) => a.status)).toEqual(['lost', 'lost', 'lost']);
    });

    test('released leases are claimable at once', async () => {
      const store = await open();
      await register(store, graph('wf', [node('a')]));
      await store.createRun({ workflow: 'wf', input: null });
      await store.claimTasks({ workerId: 'w1', limit: 1, leaseMs: 60_000 });
      expect(await store.releaseLeases('w1')).toBe(1);
      expect(await store.claimTasks({ workerId: 'w2', limit: 1, leaseMs: 1000 })).toHaveLength(1);
    });

    test('a released task comes back after its delay, same attempt, for any worker', async () => {
      const store = await open();
      await register(store, graph('wf', [node('a')]));
      const { run } = await store.createRun({ workflow: 'wf', input: null });
      const [t1] = await store.claimTasks({ workerId: 'w1', limit: 1, leaseMs: 60_000 });
      expect(
        await store.releaseTask({ taskId: t1?.id as string, workerId: 'w2', delayMs: 1000, reason: 'x' }),
      ).toBe(false);
      expect(
        await store.releaseTask({
          taskId: t1?.id as string,
          workerId: 'w1',
          delayMs: 1000,
          reason: 'no code',
        }),
      ).toBe(true);
      expect(await store.claimTasks({ workerId: 'w2', limit: 1, leaseMs: 1000 })).toEqual([]);
      clock.advance(1000);
      const [t2] = await store.claimTasks({ workerId: 'w2', limit: 1, leaseMs: 1000 });
      expect(t2?.attempt).toBe(t1?.attempt);
      await store.completeTask({ task: t2 as ClaimedTask, workerId: 'w2', outcome: ok('done') });
      expect((await store.getRun(run.id))?.status).toBe('succeeded');
      expect((await store.getHistory(run.id)).some((e) => e.type === 'task-released')).toBe(true);
    });

    test("claims fairly: one tenant's backlog does not starve another tenant's runs", async () => {
      const store = await open();
      await register(store, graph('wf', [node('a')]));
      for (let i = 0; i < 30; i++) await store.createRun({ workflow: 'wf', input: i, tenant: 'big' });
      const small = await store.createRun({ workflow: 'wf', input: 'late', tenant: 'small' });
      clock.advance(1);
      const claimed = await store.claimTasks({ workerId: 'w', limit: 4, leaseMs: 1000 });
      expect(claimed).toHaveLength(4);
      // Tenants take turns within a priority: the late run of the small tenant is among the first.
      expect(claimed.map((t) => t.runId)).toContain(small.run.id);
      expect(claimed.filter((t) => t.run.tenant === 'big')).toHaveLength(3);
      // Priority still comes first, whatever the tenant.
      const urgent = await store.createRun({ workflow: 'wf', input: 'urgent', tenant: 'big', priority: 5 });
      const [next] = await store.claimTasks({ workerId: 'w', limit: 1, leaseMs: 1000 });
      expect(next?.runId).toBe(urgent.run.id);
    });

    test('keeps tasks leased at once within the tenant and concurrency-key limits, across workers', async () => {
      const store = await open(undefined, { tenantConcurrency: { capped: 2, '*': 100 } });
      await register(store, graph('wf', [node('a'), node('b', ['a'])]));
      const keyed: { run: { id: string } }[] = [];
      for (let i = 0; i < 4; i++) {
        keyed.push(
          await store.createRun({ workflow: 'wf', input: i, concurrency: { key: 'customer-1', limit: 1 } }),
        );
      }
      for (let i = 0; i < 4; i++) await store.createRun({ workflow: 'wf', input: i, tenant: 'capped' });
      const free = await store.createRun({ workflow: 'wf', input: 'free', tenant: 'other' });
      const w1 = await store.claimTasks({ workerId: 'w1', limit: 10, leaseMs: 1000 });
      const w2 = await store.claimTasks({ workerId: 'w2', limit: 10, leaseMs: 1000 });
      const all = [...w1, ...w2];
      expect(all.filter((t) => keyed.some((k) => k.run.id === t.runId))).toHaveLength(1);
      expect(all.filter((t) => t.run.tenant === 'capped')).toHaveLength(2);
      expect(all.map((t) => t.runId)).toContain(free.run.id);
      // A limited run's successor takes the slot its finished task gave back, and no more.
      const held = all.find((t) => keyed.some((k) => k.run.id === t.runId)) as ClaimedTask;
      const owner = w1.some((t) => t.id === held.id) ? 'w1' : 'w2';
      const done = await store.completeTask({
        task: held,
        workerId: owner,
        outcome: ok(1),
        dispatch: 10,
        leaseMs: 1000,
      });
      expect(done.dispatched.map((t) => [t.runId, t.stepId])).toEqual([[held.runId, 'b']]);
      expect(await store.claimTasks({ workerId: 'w3', limit: 10, leaseMs: 1000 })).toEqual([]);
      const [b] = done.dispatched;
      await store.completeTask({ task: b as ClaimedTask, workerId: owner, outcome: ok(2) });
      const after = await store.claimTasks({ workerId: 'w3', limit: 10, leaseMs: 1000 });
      expect(after).toHaveLength(1);
      expect(keyed.map((k) => k.run.id)).toContain(after[0]?.runId);
    });

    test('concurrent submits with one idempotency key create one run', async () => {
      const store = await open();
      await register(store, graph('wf', [node('a')]));
      const results = await Promise.all(
        Array.from({ length: 5 }, () =>
          store.createRun({ workflow: 'wf', input: 1, idempotencyKey: 'same' }),
        ),
      );
      expect(new Set(results.map((r) => r.run.id)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(await store.listRuns({ workflow: 'wf' })).toHaveLength(1);
      // A bad submit in the same burst fails alone.
      const [good, bad] = await Promise.allSettled([
        store.createRun({ workflow: 'wf', input: 2 }),
        store.createRun({ workflow: 'nope', input: 3 }),
      ]);
      expect(good.status).toBe('fulfilled');
      expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'WORKFLOW_NOT_FOUND' } });
    });

    test('claims higher priority first', async () => {
      const store = await open();
      await register(store, graph('wf', [node('a')]));
      const low = await store.createRun({ workflow: 'wf', input: 'low', priority: 0 });
      const high = await store.createRun({ workflow: 'wf', input: 'high', priority: 10 });
      const [first] = await store.claimTasks({ workerId: 'w', limit: 1, leaseMs: 1000 });
      expect(first?.runId).toBe(high.run.id);
      const [second] = await store.claimTasks({ workerId: 'w', limit: 1, leaseMs: 1000 });
      expect(second?.runId).toBe(low.run.id);
    });

    test('schedules a retry after the backoff delay, and fails the run when attempts run out', async () => {
      const store = await open();
      const retry = { maxAttempts: 2, initialDelayMs: 1000, backoff: 2, maxDelayMs: 10_000, jitter: 0 };
      await register(store, graph('wf', [node('a', [], { retry })]));
      const { run } = await store.createRun({ workflow: 'wf', input: null });
      const fail: StepOutcome = { type: 'failed', error: { code: 'X', message: 'boom', retryable: true } };
      const [t1] = await store.claimTasks({ workerId: 'w', limit: 1, leaseMs: 1000 });
      await store.completeTask({ task: t1 as ClaimedTask, workerId: 'w', outcome: fail });
      expect(await store.claimTasks({ workerId: 'w', limit: 1, leaseMs: 1000 })).toEqual([]);
      clock.advance(1000);
      const [t2] = await store.claimTasks({ workerId: 'w', limit: 1, leaseMs: 1000 });
      expect(t2?.attempt).toBe(2);
      await store.completeTask({ task: t2 as ClaimedTask, workerId: 'w', outcome: fail });
      const failed = await store.getRun(run.id);
      expect(failed?.status).toBe('failed');
      expect(failed?.error?.code).toBe('X');
      expect((await store.listAttempts(run.id)).map((a) => a.status)).toEqual(['failed', 'failed']);
    });

    test('never retries a non-idempotent effect automatically', async () => {
      const store = await open();
      await register(
        store,
        graph('wf', [node('pay', [], { effect: true, retry: { ...DEFAULT_RETRY, maxAttempts: 5 } })]),
      );
      const { run } = await store.createRun({ workflow: 'wf', input: null });
      await drain(store, () => ({ type: 'failed', error: { code: 'X', message: 'boom', retryable: true } }));
      expect((await store.getRun(run.id))?.status).toBe('failed');
      expect(await store.listAttempts(run.id)).toHaveLength(1);
    });

    test('fires durable timers when due, not before', async () => {
      const store = await open();
      await register(store, graph('wf', [node('nap', [], { kind: 'wait' }), node('after', ['nap'])]));
      const { run } = await store.createRun({ workflow: 'wf', input: null });
      await drain(store, (t) =>
        t.stepId === 'nap'
          ? { type: 'suspended', wait: { type: 'sleep', until: clock.t + 5000 } }
          : ok('after'),
      );
      expect((await store.getRun(run.id))?.status).toBe('waiting');
      expect(await store.nextTimerAt()).toBe(clock.t + 5000);
      expect(await store.fireDueTimers(10)).toBe(0);
      clock.advance(5000);
      expect(await store.fireDueTimers(10)).toBe(1);
      await drain(store, () => ok('after'));
      expect((await store.getRun(run.id))?.status).toBe('succeeded');
    });

    test('wakes runs waiting on an event key, counting events that arrived after the run began', async () => {
      const store = await open();
      await register(store, graph('wf', [node('a'), node('w', ['a'], { kind: 'wait' })]));
      const early = await store.createRun({ workflow: 'wf', input: null });
      expect(await store.publishEvent('k-early', { n: 1 })).toEqual({ woken: 0 });
      const late = await store.createRun({ workflow: 'wf', input: null });
      const runs = new Map([
        [early.run.id, 'k-early'],
        [late.run.id, 'k-late'],
      ]);
      await drain(store, (t) =>
        t.stepId === 'w'
          ? {
              type: 'suspended',
              wait: { type: 'event', key: runs.get(t.runId) as string, since: t.run.createdAt },
            }
          : ok(),
      );
      expect((await store.getRun(early.run.id))?.status).toBe('succeeded');
      expect((await store.getRun(late.run.id))?.status).toBe('waiting');
      expect(await store.publishEvent('k-late', { n: 2 })).toEqual({ woken: 1 });
      const done = await store.getRun(late.run.id);
      expect(done?.status).toBe('succeeded');
      expect(done?.output).toEqual({ w: { n: 2 } });
    });

    test('refuses a decision on a step that is not waiting and changes nothing', async () => {
      const store = await open();
      await register(store, graph('wf', [node('a'), node('ok', ['a'], { kind: 'approval' })]));
      const { run } = await store.createRun({ workflow: 'wf', input: null });
      const before = {
        run: await store.getRun(run.id),
        history: await store.getHistory(run.id),
        steps: await store.getSteps(run.id),
      };
      await expect(store.decide(run.id, 'ok', { approved: true, by: 'ann' })).rejects.toMatchObject({
        code: 'RUN_NOT_WAITING',
      });
      await expect(store.decide('run_missing', 'ok', { approved: true, by: 'ann' })).rejects.toMatchObject({
        code: 'RUN_NOT_FOUND',
      });
      expect({
        run: await store.getRun(run.id),
        history: await store.getHistory(run.id),
        steps: await store.getSteps(run.id),
      }).toEqual(before);
      await drain(store, (t) =>
        t.stepId === 'ok'
          ? {
              type: 'suspended',
              wait: {
                type: 'approval',
                request: { prompt: 'ok?', defaultAction: 'reject', onReject: 'fail' },
              },
            }
          : ok(),
      );
      await store.decide(run.id, 'ok', { approved: true, by: 'ann', comment: 'yes' });
      const done = await store.getRun(run.id);
      expect(done?.status).toBe('succeeded');
      expect(done?.output).toMatchObject({ ok: { approved: true, by: 'ann', comment: 'yes' } });
    });

    test('starts child runs, returns their output to the parent, and cascades cancellation', async () => {
      const store = await open();
      await register(store, graph('child', [node('c')]), 'hc');
      await register(store, graph('parent', [node('spawn', [], { kind: 'workflow' })]), 'hp');
      const { run } = await store.createRun({ workflow: 'parent', input: null });
      const [spawn] = await store.claimTasks({ workerId: 'w', limit: 1, leaseMs: 1000 });
      await store.completeTask({
        task: spawn as ClaimedTask,
        workerId: 'w',
        outcome: {
          type: 'suspended',
          wait: { type: 'child', workflow: 'child', input: { v: 1 }, maxDepth: 3 },
        },
      });
      const [child] = await store.listRuns({ parentRunId: run.id });
      expect(child?.depth).toBe(1);
      expect(child?.traceId).toBe(run.traceId);
      await drain(store, () => ok('from-child'));
      expect((await store.getRun(run.id))?.output).toEqual({ spawn: { c: 'from-child' } });

      const second = await store.createRun({ workflow: 'parent', input: null });
      const [spawn2] = await store.claimTasks({ workerId: 'w', limit: 1, leaseMs: 1000 });
      await store.completeTask({
        task: spawn2 as ClaimedTask,
        workerId: 'w',
        outcome: { type: 'suspended', wait: { type: 'child', workflow: 'child', input: null, maxDepth: 3 } },
      });
      await store.cancelRun(second.run.id, 'stop', 'tester');
      const [child2] = await store.listRuns({ parentRunId: second.run.id });
      expect((await store.getRun(second.run.id))?.status).toBe('cancelled');
      expect(child2?.status).toBe('cancelled');
      expect(await store.claimTasks({ workerId: 'w', limit: 10, leaseMs: 1000 })).toEqual([]);
    });

    test('fans out map items within the concurrency bound and aggregates their outputs in order', async () => {
      const store = await open();
      const map = { concurrency: 2, onItemFailure: 'fail-fast' as const, maxItems: 100 };
      await register(store, graph('wf', [node('m', [], { kind: 'map', map })]));
      const { run } = await store.createRun({ workflow: 'wf', input: null });
      const [expand] = await store.claimTasks({ workerId: 'w', limit: 1, leaseMs: 1000 });
      await store.completeTask({
        task: expand as ClaimedTask,
        workerId: 'w',
        outcome: { type: 'fanned-out', items: [1, 2, 3, 4, 5] },
      });
      let max = 0;
      for (let i = 0; i < 10; i++) {
        const items = await store.claimTasks({ workerId: 'w', limit: 10, leaseMs: 1000 });
        if (items.length === 0) break;
        max = Math.max(max, items.length);
        for (const t of items) {
          // A run ending on a map computes its output in a finalize task, which sees the aggregated items.
          const outcome =
            t.kind === 'finalize' ? ok({ m: t.steps.m?.output }) : ok((t.itemValue as number) * 10);
          await store.completeTask({ task: t, workerId: 'w', outcome });
        }
      }
      expect(max).toBe(2);
      expect((await store.getSteps(run.id))[0]?.output).toEqual([10, 20, 30, 40, 50]);
      expect((await store.getRun(run.id))?.output).toEqual({ m: [10, 20, 30, 40, 50] });
    });

    test('unwinds compensations of completed effects in reverse order when a run fails', async () => {
      const store = await open();
      const eff = { effect: true, compensable: true };
      await register(store, graph('wf', [node('a', [], eff), node('b', ['a'], eff), node('c', ['b'])]));
      const { run } = await store.createRun({ workflow: 'wf', input: null });
      const compensated: string[] = [];
      await drain(store, (t) => {
        if (t.kind === 'compensate') {
          compensated.push(t.stepId);
          expect(t.runError?.code).toBe('BROKEN');
          return ok();
        }
        if (t.stepId === 'c')
          return { type: 'failed', error: { code: 'BROKEN', message: 'no', retryable: false } };
        return ok(t.stepId);
      });
      expect(compensated).toEqual(['b', 'a']);
      const failed = await store.getRun(run.id);
      expect(failed?.status).toBe('failed');
      expect(failed?.error?.code).toBe('BROKEN');
    });

    test('acknowledges many concurrent completions, each committed exactly once', async () => {
      const store = await open();
      await register(store, graph('wf', [node('a'), node('b', ['a'])]));
      const runs = await Promise.all(
        Array.from({ length: 60 }, (_, i) => store.createRun({ workflow: 'wf', input: i })),
      );
      const tasks = await store.claimTasks({ workerId: 'w', limit: 100, leaseMs: 1000 });
      expect(tasks).toHaveLength(60);
      const results = await Promise.all(
        tasks.map((t) => store.completeTask({ task: t, workerId: 'w', outcome: ok(t.run.input) })),
      );
      expect(results.every((r) => r.accepted)).toBe(true);
      const again = await Promise.all(
        tasks.map((t) => store.completeTask({ task: t, workerId: 'w', outcome: ok('dup') })),
      );
      expect(again.every((r) => !r.accepted)).toBe(true);
      await drain(store, (t) => ok(t.steps.a?.output));
      for (const { run } of runs) expect((await store.getRun(run.id))?.output).toEqual({ b: run.input });
    });

    test('rejects outputs over the payload limit with a typed error', async () => {
      const store = await open();
      await register(store, graph('wf', [node('big')]));
      const { run } = await store.createRun({ workflow: 'wf', input: null });
      await drain(store, () => ok('x'.repeat(20_000)));
      const failed = await store.getRun(run.id);
      expect(failed?.error?.code).toBe('PAYLOAD_TOO_LARGE');
    });

    test('prunes finished runs with everything they own, and keeps the rest', async () => {
      const store = await open();
      await register(store, graph('wf', [node('a')]));
      const old = await store.createRun({ workflow: 'wf', input: null });
      await drain(store, () => ok());
      clock.advance(10_000);
      const running = await store.createRun({ workflow: 'wf', input: null });
      expect(await store.prune(clock.t - 5000)).toMatchObject({ runs: 1 });
      expect(await store.getRun(old.run.id)).toBeUndefined();
      expect(await store.getHistory(old.run.id)).toEqual([]);
      expect(await store.getRun(running.run.id)).toBeDefined();
    });
  });
}
