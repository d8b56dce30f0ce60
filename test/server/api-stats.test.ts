/**
 * `GET /v1/stats` over real runs (some succeed, some fail with a known code, one waits) and a real
 * gateway ledger: exact counts, rates, series and failures, per tenant.
 */
import { describe, expect, it } from 'vitest';
import { NonRetryableError } from '../../src/core/errors.js';
import type { Run } from '../../src/core/types.js';
import { request } from '../../src/gateway/ledger/conformance-harness.js';
import { until } from '../until.js';
import { type ApiHarness, useApiHarness } from './api-harness.js';

/** `fragile` fails with CARD_DECLINED when its input says so, and echoes it otherwise. */
const FRAGILE_SPEC = `
name: fragile
version: '1'
input: { type: object }
steps:
  - id: charge
    kind: fn
    fn: charge
    input: '$input'
`;

interface Stats {
  window: string;
  since: number;
  until: number;
  bucketMs: number;
  health: {
    finished: number;
    succeeded: number;
    failed: number;
    cancelled: number;
    successRate: number | null;
    durationMs: { p50: number; p95: number } | null;
    errorRate: { windowMs: number; finished: number; failed: number; rate: number | null };
    active: { queued: number; running: number; waiting: number };
  };
  usageLogged: boolean;
  usage: { calls: number; tokens: number; costUsd: number };
  series: {
    at: number;
    started: number;
    succeeded: number;
    failed: number;
    calls: number;
    tokens: number;
    costUsd: number;
  }[];
  errors: { code: string; count: number; exampleRunId: string }[];
  failures: { id: string; workflow: string; error: { code: string; message: string }; finishedAt: number }[];
}

function nearestRank(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] ?? 0;
}

async function withFragile(h: ApiHarness): Promise<void> {
  h.baton.defineFunction('charge', (args) => {
    if ((args as { fail?: boolean }).fail) {
      throw new NonRetryableError('the card was declined', { code: 'CARD_DECLINED' });
    }
    return { charged: args };
  });
  await h.baton.register(FRAGILE_SPEC);
}

describe('GET /v1/stats', () => {
  const open = useApiHarness();

  it('counts the outcomes, durations, series, usage and failures of the caller’s tenant', async () => {
    const h = await open();
    await withFragile(h);
    const viewer = await h.keyFor('viewer');
    const beta = await h.keyFor('viewer', 'beta');

    const ok = [
      await h.baton.submit('echo', { i: 1 }, { tenant: 'acme' }),
      await h.baton.submit('fragile', { fail: false }, { tenant: 'acme' }),
      await h.baton.submit('echo', { i: 2 }, { tenant: 'acme' }),
    ];
    const failing = [
      await h.baton.submit('fragile', { fail: true }, { tenant: 'acme' }),
      await h.baton.submit('fragile', { fail: true }, { tenant: 'acme' }),
    ];
    const elsewhere = await h.baton.submit('fragile', { fail: true }, { tenant: 'beta' });
    const waiting = await h.baton.submit('waiter', {}, { tenant: 'acme' });
    const finished: Run[] = [];
    for (const run of [...ok, ...failing, elsewhere]) finished.push(await h.baton.waitForRun(run.id));
    expect(finished.map((r) => r.status)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
      'failed',
      'failed',
      'failed',
    ]);
    const ledger = h.ctx.gateway?.ledger;
    const now = Date.now();
    await ledger?.appendRequests([
      request('g1', now, { tenant: 'acme', inputTokens: 10, outputTokens: 20, costUsd: 0.001 }),
      request('g2', now, { tenant: 'acme', inputTokens: 5, outputTokens: 5, costUsd: 0.002 }),
      request('g3', now, { tenant: 'beta', inputTokens: 999, outputTokens: 1, costUsd: 5 }),
    ]);
    await until('the waiter waits', async () => (await h.baton.getRun(waiting.id)).status === 'waiting');

    const { status, body } = await h.json<Stats>('GET', '/v1/stats', { key: viewer });
    expect(status).toBe(200);
    expect(body.window).toBe('1h');
    expect(body.bucketMs).toBe(60_000);
    expect(body.since % 60_000).toBe(0);
    expect(body.until - body.since).toBeGreaterThanOrEqual(3_600_000);
    expect(body.until - body.since).toBeLessThan(3_600_000 + 60_000);
    expect(body.series).toHaveLength(Math.ceil((body.until - body.since) / 60_000));

    const mine = finished.filter((r) => r.tenant === 'acme');
    const durations = mine.map((r) => (r.finishedAt ?? 0) - (r.startedAt ?? 0));
    expect(body.health).toEqual({
      finished: 5,
      succeeded: 3,
      failed: 2,
      cancelled: 0,
      successRate: 0.6,
      durationMs: { p50: nearestRank(durations, 50), p95: nearestRank(durations, 95) },
      errorRate: { windowMs: 300_000, finished: 5, failed: 2, rate: 0.4 },
      active: { queued: 0, running: 0, waiting: 1 },
    });
    const sum = (k: 'started' | 'succeeded' | 'failed' | 'calls' | 'tokens') =>
      body.series.reduce((n, b) => n + b[k], 0);
    expect([sum('started'), sum('succeeded'), sum('failed'), sum('calls'), sum('tokens')]).toEqual([
      6, 3, 2, 2, 40,
    ]);
    expect(body.usageLogged).toBe(true);
    expect(body.usage).toEqual({ calls: 2, tokens: 40, costUsd: 0.003 });

    const [older, newer] = failing as [Run, Run];
    expect(body.errors).toEqual([
      { code: 'CARD_DECLINED', count: 2, exampleRunId: [older.id, newer.id].sort()[1] },
    ]);
    expect(body.failures.map((f) => f.id).sort()).toEqual([older.id, newer.id].sort());
    for (const f of body.failures) {
      expect(f).toMatchObject({ workflow: 'fragile', error: { code: 'CARD_DECLINED' } });
      expect(f.error.message).toContain('the card was declined');
      expect(f.finishedAt).toBe(finished.find((r) => r.id === f.id)?.finishedAt);
    }
    expect(body.failures[0]?.finishedAt).toBeGreaterThanOrEqual(body.failures[1]?.finishedAt ?? 0);

    // Another tenant sees only its own runs and calls.
    const other = await h.json<Stats>('GET', '/v1/stats', { key: beta });
    expect(other.body.health).toMatchObject({ finished: 1, failed: 1, successRate: 0 });
    expect(other.body.failures.map((f) => f.id)).toEqual([elsewhere.id]);
    expect(other.body.usage).toEqual({ calls: 1, tokens: 1000, costUsd: 5 });
  });

  it('sizes buckets to the window and refuses windows out of range', async () => {
    const h = await open();
    const viewer = await h.keyFor('viewer');
    const day = await h.json<Stats>('GET', '/v1/stats?window=24h', { key: viewer });
    expect([day.status, day.body.bucketMs, day.body.series.length]).toEqual([200, 1_800_000, 49]);
    const week = await h.json<Stats>('GET', '/v1/stats?window=7d', { key: viewer });
    expect([week.status, week.body.bucketMs, week.body.series.length]).toEqual([200, 10_800_000, 57]);
    // A fresh install: zeros and empty lists, not errors.
    expect(week.body.health).toMatchObject({ finished: 0, successRate: null, durationMs: null });
    expect(week.body.health.errorRate.rate).toBeNull();
    expect([week.body.errors, week.body.failures]).toEqual([[], []]);
    for (const q of ['window=1s', 'window=2m', 'window=100d', 'window=soon', 'since=1']) {
      const res = await h.json<{ error: { code: string } }>('GET', `/v1/stats?${q}`, { key: viewer });
      expect([q, res.status, res.body.error.code]).toEqual([q, 400, 'INVALID_REQUEST']);
    }
    expect((await h.call('GET', '/v1/stats')).status).toBe(401);
  });

  it('says when there is no gateway to count tokens and cost', async () => {
    const h = await open({ gateway: false });
    const { body } = await h.json<Stats>('GET', '/v1/stats', { key: await h.keyFor('viewer') });
    expect(body.usageLogged).toBe(false);
    expect(body.usage).toEqual({ calls: 0, tokens: 0, costUsd: 0 });
  });
});
