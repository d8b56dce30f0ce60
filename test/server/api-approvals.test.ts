import { describe, expect, it } from 'vitest';
import type { Run } from '../../src/core/types.js';
import { until } from '../until.js';
import { type ApiHarness, useApiHarness } from './api-harness.js';

const open = useApiHarness();

/** Submits a payout and waits until its review step waits for a decision. */
async function waitingPayout(h: ApiHarness, key: string, amount = 10): Promise<string> {
  const res = await h.json<Run>('POST', '/v1/runs', { key, body: { workflow: 'payout', input: { amount } } });
  const id = res.body.id;
  await until('the approval', async () => (await h.baton.getRun(id)).status === 'waiting');
  return id;
}

describe('approvals API', () => {
  it('lists the inbox with filters and shows one approval with its context', async () => {
    const h = await open();
    const dev = await h.keyFor('developer');
    const approver = await h.keyFor('approver');
    const a = await waitingPayout(h, dev, 1);
    const b = await waitingPayout(h, dev, 2);

    const inbox = await h.json<{
      data: { runId: string; ageMs: number; request: unknown }[];
      next_cursor: string | null;
    }>('GET', '/v1/approvals?role=finance&workflow=payout', { key: approver });
    expect(inbox.status).toBe(200);
    expect(inbox.body.data.map((x) => x.runId)).toEqual([a, b]);
    expect(inbox.body.data[0]).toMatchObject({
      stepId: 'review',
      request: { prompt: 'Pay this?', role: 'finance' },
    });
    const paged = await h.json<{ data: unknown[]; next_cursor: string | null }>(
      'GET',
      '/v1/approvals?limit=1',
      {
        key: approver,
      },
    );
    expect(paged.body.next_cursor).toBe(`${a}/review`);
    const next = await h.json<{ data: { runId: string }[] }>(
      'GET',
      `/v1/approvals?limit=1&cursor=${encodeURIComponent(paged.body.next_cursor ?? '')}`,
      { key: approver },
    );
    expect(next.body.data.map((x) => x.runId)).toEqual([b]);
    expect(
      (await h.json<{ data: unknown[] }>('GET', '/v1/approvals?role=legal', { key: approver })).body.data,
    ).toEqual([]);
    expect(
      (await h.json<{ data: unknown[] }>('GET', '/v1/approvals?minAgeMs=3600000', { key: approver })).body
        .data,
    ).toEqual([]);

    const one = await h.json('GET', `/v1/approvals/${a}/review`, { key: approver });
    expect(one).toMatchObject({
      status: 200,
      body: {
        runId: a,
        stepId: 'review',
        request: { prompt: 'Pay this?', data: { echoed: { amount: 1 } } },
        run: { id: a, status: 'waiting' },
        completed: { prepare: { echoed: { amount: 1 } } },
        options: ['approve', 'reject', 'edit'],
      },
    });
    const notWaiting = await h.json('GET', `/v1/approvals/${a}/prepare`, { key: approver });
    expect(notWaiting).toMatchObject({ status: 404, body: { error: { code: 'APPROVAL_NOT_FOUND' } } });
  });

  it('approves, recording who decided, and audits the decision', async () => {
    const h = await open();
    const dev = await h.keyFor('developer');
    const approver = await h.keyFor('approver', 'acme', 'alice');
    const id = await waitingPayout(h, dev);
    const res = await h.json('POST', `/v1/approvals/${id}/review/decide`, {
      key: approver,
      body: { decision: 'approve', comment: 'fine' },
    });
    expect(res).toMatchObject({
      status: 200,
      body: { decision: 'approve', by: expect.stringMatching(/^bk_\w+ \(alice\)$/) },
    });
    const run = await h.baton.waitForRun(id, { timeoutMs: 10_000 });
    expect(run.status).toBe('succeeded');
    const decided = (await h.baton.history(id)).find((e) => e.type === 'approval-decided');
    expect(decided?.data).toMatchObject({
      approved: true,
      comment: 'fine',
      by: expect.stringContaining('alice'),
    });
    const [entry] = await h.control.listAudit({ tenant: 'acme', action: 'approval.decide' });
    expect(entry).toMatchObject({
      target: `${id}/review`,
      details: { decision: 'approve', edited: false, comment: 'fine' },
    });
    const again = await h.json('POST', `/v1/approvals/${id}/review/decide`, {
      key: approver,
      body: { decision: 'approve' },
    });
    expect(again.status).toBe(409);
    expect(['RUN_NOT_WAITING', 'RUN_ALREADY_FINISHED']).toContain(
      (again.body as { error: { code: string } }).error.code,
    );
  });

  it('edits the data and approves', async () => {
    const h = await open();
    const dev = await h.keyFor('developer');
    const approver = await h.keyFor('approver');
    const id = await waitingPayout(h, dev, 1000);
    const res = await h.json('POST', `/v1/approvals/${id}/review/decide`, {
      key: approver,
      body: { decision: 'approve', data: { amount: 500 } },
    });
    expect(res.status).toBe(200);
    const run = await h.baton.waitForRun(id, { timeoutMs: 10_000 });
    const steps = await h.baton.steps(id);
    expect(run.status).toBe('succeeded');
    expect(JSON.stringify(steps.find((s) => s.stepId === 'review')?.output)).toContain('500');
    const [entry] = await h.control.listAudit({ tenant: 'acme', action: 'approval.decide' });
    expect(entry?.details).toMatchObject({ edited: true });
  });

  it('rejects (and refuses data with a rejection)', async () => {
    const h = await open();
    const dev = await h.keyFor('developer');
    const approver = await h.keyFor('approver');
    const id = await waitingPayout(h, dev);
    const bad = await h.json('POST', `/v1/approvals/${id}/review/decide`, {
      key: approver,
      body: { decision: 'reject', data: { amount: 1 } },
    });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'INVALID_ARGUMENT' } } });
    const res = await h.json('POST', `/v1/approvals/${id}/review/decide`, {
      key: approver,
      body: { decision: 'reject', comment: 'no' },
    });
    expect(res.status).toBe(200);
    await h.baton.waitForRun(id, { timeoutMs: 10_000 });
    const review = (await h.baton.steps(id)).find((s) => s.stepId === 'review');
    expect(review?.output).toMatchObject({ approved: false });
  });

  it('reassigns to an assignee and a role', async () => {
    const h = await open();
    const dev = await h.keyFor('developer');
    const approver = await h.keyFor('approver');
    const id = await waitingPayout(h, dev);
    const empty = await h.json('POST', `/v1/approvals/${id}/review/reassign`, { key: approver, body: {} });
    expect(empty.status).toBe(400);
    const res = await h.json('POST', `/v1/approvals/${id}/review/reassign`, {
      key: approver,
      body: { assignee: 'bob', role: 'legal', comment: 'needs legal' },
    });
    expect(res).toMatchObject({ status: 200, body: { runId: id, stepId: 'review' } });
    const inbox = await h.json<{ data: { runId: string }[] }>(
      'GET',
      '/v1/approvals?assignee=bob&role=legal',
      {
        key: approver,
      },
    );
    expect(inbox.body.data.map((a) => a.runId)).toEqual([id]);
    const [entry] = await h.control.listAudit({ tenant: 'acme', action: 'approval.reassign' });
    expect(entry?.details).toMatchObject({ assignee: 'bob', role: 'legal' });
  });

  it('keeps approvals of other tenants out of sight and out of reach', async () => {
    const h = await open();
    const dev = await h.keyFor('developer', 'acme');
    const other = await h.keyFor('admin', 'globex');
    const id = await waitingPayout(h, dev);
    expect((await h.json<{ data: unknown[] }>('GET', '/v1/approvals', { key: other })).body.data).toEqual([]);
    for (const [method, path, body] of [
      ['GET', `/v1/approvals/${id}/review`, undefined],
      ['POST', `/v1/approvals/${id}/review/decide`, { decision: 'approve' }],
      ['POST', `/v1/approvals/${id}/review/reassign`, { role: 'x' }],
    ] as const) {
      const res = await h.json(method, path, { key: other, ...(body ? { body } : {}) });
      expect([path, res.status]).toEqual([path, 404]);
    }
    expect((await h.baton.getRun(id)).status).toBe('waiting');
  });

  it('refuses decisions from roles without approvals', async () => {
    const h = await open();
    const dev = await h.keyFor('developer');
    const id = await waitingPayout(h, dev);
    const res = await h.json('POST', `/v1/approvals/${id}/review/decide`, {
      key: dev,
      body: { decision: 'approve' },
    });
    expect(res).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
  });
});
