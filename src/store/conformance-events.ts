/**
 * The conformance tests of tenant-scoped events ({@link Store.publishEvent} with a tenant); part of
 * {@link storeConformance}, which passes in its helpers.
 * @module
 */
import { expect } from 'vitest';
import { DEFAULT_RETRY } from '../core/retry.js';
import type { ClaimedTask, Graph, StepOutcome } from '../core/types.js';
import type { Store } from './port.js';

/** What the event tests need from the suite that runs them. */
export interface EventSuiteHelpers {
  test: (title: string, fn: () => Promise<void>) => void;
  open: () => Promise<Store>;
  clock: () => { t: number; advance(ms: number): void };
  drain: (store: Store, handler: (t: ClaimedTask) => StepOutcome) => Promise<ClaimedTask[]>;
}

const base = {
  conditional: false,
  retry: { ...DEFAULT_RETRY, maxAttempts: 1 },
  effect: false,
  idempotent: false,
  compensable: false,
};

/** A workflow of one fn step `a`, then the wait step `w`. */
const WAIT_GRAPH: Graph = {
  workflow: 'waiter',
  hasOutput: false,
  steps: [
    { id: 'a', kind: 'fn', needs: [], ...base },
    { id: 'w', kind: 'wait', needs: ['a'], ...base },
  ],
};

/** Registers the event conformance tests. */
export function eventConformance(h: EventSuiteHelpers): void {
  const { test, open, clock, drain } = h;

  async function openWithWorkflow(): Promise<Store> {
    const store = await open();
    await store.registerVersion({
      workflow: WAIT_GRAPH.workflow,
      label: '1',
      hash: 'waiter',
      source: 'spec',
      graph: WAIT_GRAPH,
      definition: {},
    });
    return store;
  }

  async function start(store: Store, tenant: string): Promise<string> {
    return (await store.createRun({ workflow: WAIT_GRAPH.workflow, input: null, tenant })).run.id;
  }

  /** Runs every ready task; the `w` steps wait on `key` since their run began. */
  async function reachWaits(store: Store, key: string): Promise<void> {
    await drain(store, (t) =>
      t.stepId === 'w'
        ? { type: 'suspended', wait: { type: 'event', key, since: t.run.createdAt } }
        : { type: 'succeeded', output: null },
    );
  }

  async function statuses(store: Store, ids: string[]): Promise<string[]> {
    return Promise.all(ids.map(async (id) => (await store.getRun(id))?.status ?? 'missing'));
  }

  test("an event published for a tenant wakes only that tenant's waiting runs", async () => {
    const store = await openWithWorkflow();
    const acme = await start(store, 'acme');
    const globex = await start(store, 'globex');
    await reachWaits(store, 'go');
    expect(await statuses(store, [acme, globex])).toEqual(['waiting', 'waiting']);
    clock().advance(1000);

    expect(await store.publishEvent('go', { n: 1 }, { tenant: 'acme' })).toEqual({ woken: 1 });
    const woken = await store.getRun(acme);
    expect(woken?.status).toBe('succeeded');
    expect(woken?.output).toEqual({ w: { n: 1 } });
    expect(await statuses(store, [globex])).toEqual(['waiting']);
    expect(await store.publishEvent('go', { n: 2 }, { tenant: 'initech' })).toEqual({ woken: 0 });
    expect(await statuses(store, [globex])).toEqual(['waiting']);
  });

  test("a tenant's event is consumed later only by a run of that tenant that began before it", async () => {
    const store = await openWithWorkflow();
    const acme = await start(store, 'acme');
    const globex = await start(store, 'globex');
    clock().advance(1000);
    // Neither run waits yet: the event is kept for the runs that reach a wait on the key later.
    expect(await store.publishEvent('go', { n: 1 }, { tenant: 'acme' })).toEqual({ woken: 0 });
    clock().advance(1000);
    await reachWaits(store, 'go');

    const consumed = await store.getRun(acme);
    expect(consumed?.status).toBe('succeeded');
    expect(consumed?.output).toEqual({ w: { n: 1 } });
    expect(await statuses(store, [globex])).toEqual(['waiting']);
    // The other tenant's run still wakes on an event of its own.
    expect(await store.publishEvent('go', { n: 2 }, { tenant: 'globex' })).toEqual({ woken: 1 });
    expect((await store.getRun(globex))?.output).toEqual({ w: { n: 2 } });
  });

  test("an event without a tenant wakes every tenant's runs, now and later", async () => {
    const store = await openWithWorkflow();
    const acme = await start(store, 'acme');
    const globex = await start(store, 'globex');
    await reachWaits(store, 'go');
    const later = await start(store, 'initech');
    clock().advance(1000);

    expect(await store.publishEvent('go', { n: 1 })).toEqual({ woken: 2 });
    clock().advance(1000);
    await reachWaits(store, 'go');
    expect(await statuses(store, [acme, globex, later])).toEqual(['succeeded', 'succeeded', 'succeeded']);
    for (const id of [acme, globex, later]) expect((await store.getRun(id))?.output).toEqual({ w: { n: 1 } });
  });
}
