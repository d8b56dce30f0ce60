/**
 * The conformance tests of the approvals inbox, reassignment, escalation and the history feed; part of
 * {@link storeConformance}, which passes in its helpers.
 * @module
 */
import { expect } from 'vitest';
import { DEFAULT_RETRY } from '../core/retry.js';
import type { ApprovalRequest, ClaimedTask, Graph, StepOutcome } from '../core/types.js';
import type { Store } from './port.js';

/** What the approval tests need from the suite that runs them. */
export interface ApprovalSuiteHelpers {
  test: (title: string, fn: () => Promise<void>) => void;
  open: () => Promise<Store>;
  clock: () => { t: number; advance(ms: number): void };
  drain: (store: Store, handler: (t: ClaimedTask) => StepOutcome) => Promise<ClaimedTask[]>;
}

const noRetry = { ...DEFAULT_RETRY, maxAttempts: 1 };

/** A workflow of one fn step `a`, then the approval step `stepId`. */
function approvalGraph(workflow: string, stepId = 'ok'): Graph {
  const base = { conditional: false, retry: noRetry, effect: false, idempotent: false, compensable: false };
  return {
    workflow,
    hasOutput: false,
    steps: [
      { id: 'a', kind: 'fn', needs: [], ...base },
      { id: stepId, kind: 'approval', needs: ['a'], ...base },
    ],
  };
}

/** Registers the approval conformance tests. */
export function approvalConformance(h: ApprovalSuiteHelpers): void {
  const { test, open, drain } = h;

  async function register(store: Store, workflow: string, stepId = 'ok'): Promise<void> {
    const g = approvalGraph(workflow, stepId);
    await store.registerVersion({
      workflow,
      label: '1',
      hash: workflow,
      source: 'spec',
      graph: g,
      definition: {},
    });
  }

  /** Starts a run and brings it to its approval, waiting since the clock's current time. */
  async function waiting(
    store: Store,
    workflow: string,
    request: Partial<ApprovalRequest> = {},
    tenant = 'default',
  ): Promise<string> {
    const { run } = await store.createRun({ workflow, input: null, tenant });
    const full: ApprovalRequest = { prompt: 'ok?', defaultAction: 'reject', onReject: 'fail', ...request };
    await drain(store, (t) =>
      t.stepId === 'a'
        ? { type: 'succeeded', output: null }
        : { type: 'suspended', wait: { type: 'approval', request: full } },
    );
    return run.id;
  }

  const ids = (list: { runId: string }[]) => list.map((a) => a.runId);

  test('lists pending approvals oldest first, by tenant, workflow, assignee, role and age, page by page', async () => {
    const store = await open();
    const clock = h.clock();
    await register(store, 'wf');
    await register(store, 'other', 'review');
    const t0 = clock.t;
    const a = await waiting(store, 'wf', { assignee: 'ann', role: 'finance' }, 't1');
    clock.advance(1000);
    const b = await waiting(store, 'wf', { role: 'finance' }, 't1');
    clock.advance(1000);
    const c = await waiting(store, 'other', { assignee: 'bob', role: 'legal' }, 't2');
    clock.advance(1000);
    const d = await waiting(store, 'wf', { assignee: 'ann' }, 't1');
    // A run that has not reached its approval yet is not in the inbox.
    await store.createRun({ workflow: 'wf', input: null, tenant: 't1' });

    const all = await store.listApprovals();
    expect(ids(all)).toEqual([a, b, c, d]);
    expect(all[2]).toEqual({
      runId: c,
      stepId: 'review',
      workflow: 'other',
      versionId: 'other@1',
      tenant: 't2',
      request: { prompt: 'ok?', defaultAction: 'reject', onReject: 'fail', assignee: 'bob', role: 'legal' },
      since: t0 + 2000,
    });
    expect(ids(await store.listApprovals({ tenant: 't2' }))).toEqual([c]);
    expect(ids(await store.listApprovals({ tenant: 'nobody' }))).toEqual([]);
    expect(ids(await store.listApprovals({ workflow: 'wf' }))).toEqual([a, b, d]);
    expect(ids(await store.listApprovals({ assignee: 'ann' }))).toEqual([a, d]);
    expect(ids(await store.listApprovals({ role: 'finance' }))).toEqual([a, b]);
    expect(ids(await store.listApprovals({ waitingBefore: t0 + 1500 }))).toEqual([a, b]);
    expect(ids(await store.listApprovals({ tenant: 't1', role: 'finance', assignee: 'ann' }))).toEqual([a]);

    const first = await store.listApprovals({ limit: 2 });
    expect(ids(first)).toEqual([a, b]);
    const last = first.at(-1);
    const cursor = `${last?.runId}/${last?.stepId}`;
    expect(ids(await store.listApprovals({ limit: 2, cursor }))).toEqual([c, d]);
    expect(await store.listApprovals({ cursor: `${d}/ok` })).toEqual([]);
    // The cursor still works once its approval is decided.
    await store.decide(b, 'ok', { approved: true, by: 'ann' });
    expect(ids(await store.listApprovals({ limit: 2, cursor }))).toEqual([c, d]);
    await expect(store.listApprovals({ cursor: 'no-slash' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  test('pages through approvals that began waiting at the same instant without losing or repeating one', async () => {
    const store = await open();
    await register(store, 'wf');
    const created = await Promise.all(
      Array.from({ length: 5 }, () => store.createRun({ workflow: 'wf', input: null })),
    );
    await drain(store, (t) =>
      t.stepId === 'a'
        ? { type: 'succeeded', output: null }
        : {
            type: 'suspended',
            wait: { type: 'approval', request: { prompt: '?', defaultAction: 'reject', onReject: 'fail' } },
          },
    );
    const all = await store.listApprovals({ limit: 500 });
    expect(all).toHaveLength(5);
    expect(ids(all)).toEqual(created.map((r) => r.run.id).sort());
    const paged: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await store.listApprovals({ limit: 2, ...(cursor ? { cursor } : {}) });
      if (page.length === 0) break;
      paged.push(...ids(page));
      const end = page.at(-1);
      cursor = `${end?.runId}/${end?.stepId}`;
    }
    expect(paged).toEqual(ids(all));
  });

  test('a decided or cancelled approval leaves the inbox; tenants are isolated; listRuns finds runs waiting for one', async () => {
    const store = await open();
    await register(store, 'wf');
    const a = await waiting(store, 'wf', {}, 't1');
    const b = await waiting(store, 'wf', {}, 't2');
    const c = await waiting(store, 'wf', {}, 't2');
    const busy = (await store.createRun({ workflow: 'wf', input: null, tenant: 't1' })).run.id;
    expect(ids(await store.listApprovals({ tenant: 't1' }))).toEqual([a]);
    expect((await store.listRuns({ waitingForApproval: true })).map((r) => r.id).sort()).toEqual(
      [a, b, c].sort(),
    );
    expect(
      (await store.listRuns({ waitingForApproval: true, tenant: 't1', status: 'waiting' })).map((r) => r.id),
    ).toEqual([a]);
    expect((await store.listRuns({ tenant: 't1' })).map((r) => r.id)).toContain(busy);

    await store.decide(b, 'ok', { approved: false, by: 'ann' });
    await store.cancelRun(c, 'no longer needed');
    expect(ids(await store.listApprovals({ tenant: 't2' }))).toEqual([]);
    expect(ids(await store.listApprovals())).toEqual([a]);
    expect((await store.listRuns({ waitingForApproval: true })).map((r) => r.id)).toEqual([a]);
  });

  test('reassigns a waiting approval and records it; refuses a step that is not waiting, changing nothing', async () => {
    const store = await open();
    const clock = h.clock();
    await register(store, 'wf');
    const { run } = await store.createRun({ workflow: 'wf', input: null });
    const snapshot = async () => ({
      run: await store.getRun(run.id),
      history: await store.getHistory(run.id),
      steps: await store.getSteps(run.id),
      inbox: await store.listApprovals(),
    });
    const before = await snapshot();
    await expect(store.reassignApproval(run.id, 'ok', { role: 'legal', by: 'admin' })).rejects.toMatchObject({
      code: 'RUN_NOT_WAITING',
    });
    await expect(store.reassignApproval(run.id, 'a', { role: 'legal', by: 'admin' })).rejects.toMatchObject({
      code: 'RUN_NOT_WAITING',
    });
    await expect(
      store.reassignApproval('run_missing', 'ok', { role: 'legal', by: 'admin' }),
    ).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
    expect(await snapshot()).toEqual(before);

    const request = { prompt: 'ok?', defaultAction: 'reject' as const, onReject: 'fail' as const };
    await drain(store, (t) =>
      t.stepId === 'a'
        ? { type: 'succeeded', output: null }
        : {
            type: 'suspended',
            wait: { type: 'approval', request: { ...request, assignee: 'ann', role: 'finance' } },
          },
    );
    const since = clock.t;
    clock.advance(5000);
    await store.reassignApproval(run.id, 'ok', { role: 'legal', by: 'admin', comment: 'needs a lawyer' });
    const [moved] = await store.listApprovals();
    expect(moved).toMatchObject({ runId: run.id, since, request: { ...request, role: 'legal' } });
    expect(moved?.request.assignee).toBeUndefined();
    expect(await store.listApprovals({ role: 'finance' })).toEqual([]);
    expect(await store.listApprovals({ assignee: 'ann' })).toEqual([]);
    const step = (await store.getSteps(run.id)).find((s) => s.stepId === 'ok');
    expect(step?.wait?.approval?.role).toBe('legal');
    expect((await store.getRun(run.id))?.status).toBe('waiting');
    const last = (await store.getHistory(run.id)).at(-1);
    expect(last).toMatchObject({
      type: 'approval-reassigned',
      stepId: 'ok',
      at: clock.t,
      data: { by: 'admin', assignee: null, role: 'legal', comment: 'needs a lawyer', escalation: false },
    });

    await store.reassignApproval(run.id, 'ok', { assignee: 'bob', by: 'admin' });
    expect(ids(await store.listApprovals({ assignee: 'bob' }))).toEqual([run.id]);
    await store.decide(run.id, 'ok', { approved: true, by: 'bob' });
    const done = await snapshot();
    await expect(store.reassignApproval(run.id, 'ok', { role: 'x', by: 'admin' })).rejects.toMatchObject({
      code: 'RUN_NOT_WAITING',
    });
    expect(await snapshot()).toEqual(done);
  });

  test('lists approvals due for escalation until they are escalated, and escalates each once', async () => {
    const store = await open();
    const clock = h.clock();
    await register(store, 'wf');
    const due = await waiting(store, 'wf', {
      assignee: 'ann',
      escalation: { at: clock.t + 5000, role: 'lead' },
    });
    const plain = await waiting(store, 'wf', { assignee: 'ann' });
    expect(await store.listApprovals({ escalationDueBy: clock.t })).toEqual([]);
    clock.advance(5000);
    expect(ids(await store.listApprovals({ escalationDueBy: clock.t }))).toEqual([due]);
    await store.reassignApproval(due, 'ok', { role: 'lead', by: 'sla', escalation: true });
    expect(await store.listApprovals({ escalationDueBy: clock.t + 1e9 })).toEqual([]);
    const [escalated] = await store.listApprovals({ role: 'lead' });
    expect(escalated?.request.escalation).toEqual({ at: clock.t, role: 'lead', escalated: true });
    const history = await store.getHistory(due);
    await expect(
      store.reassignApproval(due, 'ok', { role: 'lead', by: 'sla', escalation: true }),
    ).rejects.toMatchObject({ code: 'RUN_NOT_WAITING' });
    expect(await store.getHistory(due)).toEqual(history);
    expect(history.at(-1)?.data).toMatchObject({ by: 'sla', escalation: true });
    expect(ids(await store.listApprovals({ assignee: 'ann' }))).toEqual([plain]);
  });

  test('reads the feed of every run in seq order, by type and page, with tenant and workflow', async () => {
    const store = await open();
    await register(store, 'wf');
    await register(store, 'other');
    const one = (await store.createRun({ workflow: 'wf', input: null, tenant: 't1' })).run.id;
    const two = (await store.createRun({ workflow: 'other', input: null, tenant: 't2' })).run.id;
    await drain(store, (t) =>
      t.stepId === 'a'
        ? { type: 'succeeded', output: null }
        : {
            type: 'suspended',
            wait: { type: 'approval', request: { prompt: '?', defaultAction: 'reject', onReject: 'fail' } },
          },
    );
    await store.decide(one, 'ok', { approved: true, by: 'ann' });
    await store.decide(two, 'ok', { approved: false, by: 'bob' });

    const feed = await store.readFeed({ afterSeq: 0 });
    const histories = [...(await store.getHistory(one)), ...(await store.getHistory(two))];
    expect(feed.map(({ tenant: _t, workflow: _w, ...e }) => e)).toEqual(
      histories.sort((x, y) => x.seq - y.seq),
    );
    for (const e of feed) {
      expect([e.tenant, e.workflow]).toEqual(e.runId === one ? ['t1', 'wf'] : ['t2', 'other']);
    }
    const ends = await store.readFeed({ afterSeq: 0, types: ['run-succeeded', 'run-failed'] });
    expect(ends.map((e) => [e.runId, e.type, e.tenant])).toEqual([
      [one, 'run-succeeded', 't1'],
      [two, 'run-failed', 't2'],
    ]);
    expect(await store.readFeed({ afterSeq: 0, types: [] })).toEqual([]);
    const page = await store.readFeed({ afterSeq: 0, limit: 3 });
    expect(page).toEqual(feed.slice(0, 3));
    expect(await store.readFeed({ afterSeq: page[2]?.seq ?? 0, limit: 2 })).toEqual(feed.slice(3, 5));
    expect(await store.readFeed({ afterSeq: feed.at(-1)?.seq ?? 0 })).toEqual([]);
  });
}
