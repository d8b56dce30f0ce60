import { describe, expect, it } from 'vitest';
import type { Run } from '../../src/core/types.js';
import { until } from '../until.js';
import { type ApiHarness, useApiHarness } from './api-harness.js';

const open = useApiHarness();

async function waitingPayout(h: ApiHarness, key: string, amount = 10): Promise<string> {
  const res = await h.json<Run>('POST', '/v1/runs', { key, body: { workflow: 'payout', input: { amount } } });
  const id = res.body.id;
  await until('the approval', async () => (await h.baton.getRun(id)).status === 'waiting');
  return id;
}

interface Decided {
  id: string;
  runId: string;
  stepId: string;
  workflow: string | null;
  decision: string;
  edited: boolean;
  comment: string | null;
  by: string;
  at: number;
}

describe('GET /v1/approvals/decided', () => {
  it('lists decisions newest first with who, when, what and the comment, to readers, per tenant', async () => {
    const h = await open();
    const dev = await h.keyFor('developer');
    const alice = await h.keyFor('approver', 'acme', 'alice');
    const viewer = await h.keyFor('viewer');
    const a = await waitingPayout(h, dev, 1);
    const b = await waitingPayout(h, dev, 2);
    const before = Date.now();
    await h.json('POST', `/v1/approvals/${a}/review/decide`, {
      key: alice,
      body: { decision: 'approve', comment: 'fine', data: { amount: 1 } },
    });
    await h.json('POST', `/v1/approvals/${b}/review/decide`, { key: alice, body: { decision: 'reject' } });

    const res = await h.json<{ data: Decided[]; next_cursor: string | null }>(
      'GET',
      '/v1/approvals/decided',
      { key: viewer },
    );
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject([
      { runId: b, stepId: 'review', workflow: 'payout', decision: 'reject', edited: false, comment: null },
      { runId: a, stepId: 'review', workflow: 'payout', decision: 'approve', edited: true, comment: 'fine' },
    ]);
    expect(res.body.data[0]?.by).toMatch(/^bk_\w+ \(alice\)$/);
    expect(res.body.data[0]?.at).toBeGreaterThanOrEqual(before);
    expect(res.body.next_cursor).toBeNull();

    const first = await h.json<{ data: Decided[]; next_cursor: string | null }>(
      'GET',
      '/v1/approvals/decided?limit=1',
      { key: viewer },
    );
    expect(first.body.data.map((d) => d.runId)).toEqual([b]);
    const second = await h.json<{ data: Decided[] }>(
      'GET',
      `/v1/approvals/decided?limit=1&cursor=${first.body.next_cursor}`,
      { key: viewer },
    );
    expect(second.body.data.map((d) => d.runId)).toEqual([a]);

    const other = await h.keyFor('viewer', 'globex');
    const none = await h.json<{ data: Decided[] }>('GET', '/v1/approvals/decided', { key: other });
    expect(none.body.data).toEqual([]);
  });
});
