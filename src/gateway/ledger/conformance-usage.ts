/**
 * The spend and request-log sections of the {@link GatewayLedger} conformance suite (see
 * `conformance.ts`, which runs them).
 * @module
 */
import { describe, expect } from 'vitest';
import { type ConformanceHarness, DAY, HOUR, request, T0 } from './conformance-harness.js';
import { PRUNE_BATCH } from './ledger-rows.js';
import { periodStart } from './periods.js';
import type { GatewayLedger, SpendEntry } from './port.js';

/** Spend: buckets per scope and UTC day, summed from a period start. */
export function spendCases({ test, open }: ConformanceHarness): void {
  describe('spend', () => {
    // T0 is Wednesday 18 November 2026: its week started Monday 16, its month on Sunday 1.
    const spend = (scopeId: string, at: number, usd: number, scope: SpendEntry['scope'] = 'key') => ({
      scope,
      scopeId,
      at,
      usd,
    });

    test('a batch is summed by period start, across days', async () => {
      const ledger = await open();
      await ledger.recordSpend([
        spend('k', T0, 1), // today
        spend('k', T0 - 9 * HOUR, 2), // today, 01:00
        spend('k', T0 - 11 * HOUR, 4), // yesterday, 23:00
        spend('k', T0 - 2 * DAY, 8), // Monday
        spend('k', T0 - 3 * DAY, 16), // Sunday: last week, this month
        spend('k', T0 - 20 * DAY, 32), // 29 October
      ]);
      expect(await ledger.spentSince('key', 'k', periodStart('day', T0))).toBe(3);
      expect(await ledger.spentSince('key', 'k', periodStart('week', T0))).toBe(15);
      expect(await ledger.spentSince('key', 'k', periodStart('month', T0))).toBe(31);
      expect(await ledger.spentSince('key', 'k', periodStart('total', T0))).toBe(63);
    });

    test('totals a page of scopes in one call, across days, with 0 for the ones that spent nothing', async () => {
      const ledger = await open();
      await ledger.recordSpend([
        { scope: 'run', scopeId: 'r1', at: T0, usd: 0.5 },
        { scope: 'run', scopeId: 'r1', at: T0 - 40 * DAY, usd: 0.25 },
        { scope: 'run', scopeId: 'r2', at: T0, usd: 1 },
        { scope: 'key', scopeId: 'r3', at: T0, usd: 8 },
      ]);
      const totals = await ledger.totalSpent('run', ['r1', 'r2', 'r3', 'r1']);
      expect(Object.fromEntries(totals)).toEqual({ r1: 0.75, r2: 1, r3: 0 });
      expect((await ledger.totalSpent('run', [])).size).toBe(0);
    });

    test('since counts the whole UTC day it falls in', async () => {
      const ledger = await open();
      await ledger.recordSpend([spend('k', T0 - 9 * HOUR, 2), spend('k', T0 - 11 * HOUR, 4)]);
      expect(await ledger.spentSince('key', 'k', T0)).toBe(2);
      expect(await ledger.spentSince('key', 'k', T0 - 10 * HOUR - 1)).toBe(6);
    });

    test('entries of one bucket add up, within a batch and across batches', async () => {
      const ledger = await open();
      await ledger.recordSpend([spend('k', T0, 0.25), spend('k', T0 + 1, 0.25)]);
      await ledger.recordSpend([spend('k', T0 + 2, 0.5)]);
      await ledger.recordSpend([]);
      expect(await ledger.spentSince('key', 'k', T0)).toBe(1);
      // A correction.
      await ledger.recordSpend([spend('k', T0 + 3, -0.25)]);
      expect(await ledger.spentSince('key', 'k', T0)).toBe(0.75);
    });

    test('scopes and scope ids are kept apart', async () => {
      const ledger = await open();
      await ledger.recordSpend([
        spend('x', T0, 1, 'key'),
        spend('x', T0, 2, 'tenant'),
        spend('x', T0, 4, 'run'),
        spend('y', T0, 8, 'key'),
      ]);
      expect(await ledger.spentSince('key', 'x', 0)).toBe(1);
      expect(await ledger.spentSince('tenant', 'x', 0)).toBe(2);
      expect(await ledger.spentSince('run', 'x', 0)).toBe(4);
      expect(await ledger.spentSince('key', 'y', 0)).toBe(8);
      expect(await ledger.spentSince('tenant', 'y', 0)).toBe(0);
    });

    test('a batch with an invalid entry is refused whole', async () => {
      const ledger = await open();
      await expect(ledger.recordSpend([spend('k', T0, 1), spend('k', T0, Number.NaN)])).rejects.toMatchObject(
        { code: 'INVALID_ARGUMENT' },
      );
      await expect(
        ledger.recordSpend([{ scope: 'team' as 'key', scopeId: 'k', at: T0, usd: 1 }]),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(await ledger.spentSince('key', 'k', 0)).toBe(0);
    });
  });
}

/** The request log: append, filters, newest first, cursor pages, retention. */
export function requestLogCases({ test, open }: ConformanceHarness): void {
  describe('request log', () => {
    test('entries round-trip, newest first', async () => {
      const ledger = await open();
      const full = request('r2', T0 + 2, {
        keyId: 'k1',
        runId: 'run_1',
        target: 'openai/gpt-4o-mini',
        stream: true,
        status: 'error',
        errorCode: 'PROVIDER_TIMEOUT',
        inputTokens: 1200,
        outputTokens: 0,
        cachedInputTokens: 1024,
        reasoningTokens: 7,
        costUsd: 0.00042,
        latencyMs: 30_000.5,
        ttftMs: 850.25,
        cacheHit: true,
        retries: 2,
        fallbacks: 1,
        request: '{"messages":[{"role":"user","content":"<PERSON_1>"}]}',
        response: '{"error":"timeout"}',
      });
      const bare = request('r1', T0 + 1, { endpoint: 'embeddings', status: 'cancelled' });
      await ledger.appendRequests([bare, full]);
      const page = await ledger.listRequests();
      expect(page).toEqual({ entries: [full, bare] });
      expect(Object.keys(page.entries[1] ?? {})).not.toContain('keyId');
    });

    test('filters by tenant, key, run and since', async () => {
      const ledger = await open();
      await ledger.appendRequests([
        request('a', T0, { tenant: 't1', keyId: 'k1', runId: 'r1' }),
        request('b', T0 + 1, { tenant: 't1', keyId: 'k2' }),
        request('c', T0 + 2, { tenant: 't2', keyId: 'k3', runId: 'r1' }),
        request('d', T0 + 3, { tenant: 't2' }),
      ]);
      const ids = async (filter: Parameters<GatewayLedger['listRequests']>[0]) =>
        (await ledger.listRequests(filter)).entries.map((e) => e.id);
      expect(await ids({ tenant: 't1' })).toEqual(['b', 'a']);
      expect(await ids({ keyId: 'k2' })).toEqual(['b']);
      expect(await ids({ runId: 'r1' })).toEqual(['c', 'a']);
      expect(await ids({ since: T0 + 2 })).toEqual(['d', 'c']);
      expect(await ids({ tenant: 't2', runId: 'r1', since: T0 })).toEqual(['c']);
      expect(await ids({ tenant: 't3' })).toEqual([]);
    });

    test('filters by model (alias or target) and status, across pages', async () => {
      const ledger = await open();
      await ledger.appendRequests([
        request('a', T0, { route: 'fast', target: 'openai/gpt-4o-mini' }),
        request('b', T0 + 1, { route: 'smart', target: 'openai/gpt-4o', status: 'error', errorCode: 'X' }),
        request('c', T0 + 2, { route: 'openai/gpt-4o-mini', target: 'openai/gpt-4o-mini' }),
        request('d', T0 + 3, { route: 'fast', status: 'error', errorCode: 'ROUTE_NOT_FOUND' }),
        request('e', T0 + 4, { route: 'fast', target: 'openai/gpt-4o-mini', status: 'cancelled' }),
        request('f', T0 + 5, { route: 'fast', tenant: 'other', status: 'error' }),
      ]);
      const ids = async (filter: Parameters<GatewayLedger['listRequests']>[0]) =>
        (await ledger.listRequests(filter)).entries.map((e) => e.id);
      expect(await ids({ model: 'fast' })).toEqual(['f', 'e', 'd', 'a']);
      expect(await ids({ model: 'openai/gpt-4o-mini' })).toEqual(['e', 'c', 'a']);
      expect(await ids({ status: 'error' })).toEqual(['f', 'd', 'b']);
      expect(await ids({ tenant: 'acme', model: 'fast', status: 'error' })).toEqual(['d']);
      const first = await ledger.listRequests({ tenant: 'acme', model: 'fast', limit: 2 });
      expect(first.entries.map((e) => e.id)).toEqual(['e', 'd']);
      expect(await ids({ tenant: 'acme', model: 'fast', limit: 2, before: first.nextCursor! })).toEqual([
        'a',
      ]);
      await expect(ledger.listRequests({ status: 'lost' as unknown as 'ok' })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    });

    test('pages with a cursor, ties on time ordered by id', async () => {
      const ledger = await open();
      // Seven entries, three of them at the same instant.
      const entries = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id, i) => request(id, T0 + Math.min(i, 4)));
      await ledger.appendRequests(entries.slice(0, 4));
      await ledger.appendRequests(entries.slice(4));
      const seen: string[][] = [];
      let before: string | undefined;
      do {
        const page = await ledger.listRequests({ limit: 3, ...(before === undefined ? {} : { before }) });
        seen.push(page.entries.map((e) => e.id));
        before = page.nextCursor;
      } while (before !== undefined);
      expect(seen).toEqual([['g', 'f', 'e'], ['d', 'c', 'b'], ['a']]);
      // A cursor keeps working with filters, and after newer entries arrive.
      const first = await ledger.listRequests({ tenant: 'acme', limit: 2 });
      await ledger.appendRequests([request('h', T0 + 10)]);
      const next = await ledger.listRequests({ tenant: 'acme', limit: 2, before: first.nextCursor! });
      expect(next.entries.map((e) => e.id)).toEqual(['e', 'd']);
    });

    test('appending an id twice keeps the first entry', async () => {
      const ledger = await open();
      await ledger.appendRequests([request('a', T0, { costUsd: 1 })]);
      await ledger.appendRequests([request('a', T0, { costUsd: 2 }), request('b', T0 + 1)]);
      const { entries } = await ledger.listRequests();
      expect(entries.map((e) => [e.id, e.costUsd])).toEqual([
        ['b', 0.001],
        ['a', 1],
      ]);
    });

    test('refuses a malformed cursor, a bad limit and a bad entry', async () => {
      const ledger = await open();
      await expect(ledger.listRequests({ before: 'not-a-cursor' })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      await expect(ledger.listRequests({ limit: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(
        ledger.appendRequests([request('a', T0), request('b', T0, { inputTokens: 1.5 })]),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect((await ledger.listRequests()).entries).toEqual([]);
    });

    test('prune deletes only entries older than the bound, and says how many', async () => {
      const ledger = await open();
      await ledger.appendRequests([
        request('a', T0 - 3 * DAY),
        request('b', T0 - 2 * DAY, { tenant: 'other' }),
        request('c', T0 - DAY),
        request('d', T0),
      ]);
      // The bound is exclusive: an entry at exactly `before` stays.
      expect(await ledger.pruneRequests(T0 - DAY)).toBe(2);
      expect((await ledger.listRequests()).entries.map((e) => e.id)).toEqual(['d', 'c']);
      // A fractional bound counts whole milliseconds below it.
      expect(await ledger.pruneRequests(T0 - DAY + 0.5)).toBe(1);
      expect((await ledger.listRequests()).entries.map((e) => e.id)).toEqual(['d']);
    });

    test('prune is idempotent, and fine on an empty log', async () => {
      const ledger = await open();
      expect(await ledger.pruneRequests(T0)).toBe(0);
      await ledger.appendRequests([request('a', T0 - DAY), request('b', T0)]);
      expect(await ledger.pruneRequests(T0)).toBe(1);
      expect(await ledger.pruneRequests(T0)).toBe(0);
      expect((await ledger.listRequests()).entries.map((e) => e.id)).toEqual(['b']);
      await expect(ledger.pruneRequests(Number.NaN)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });

    test('pages keep working after a prune, cursors taken before it included', async () => {
      const ledger = await open();
      await ledger.appendRequests(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id, i) => request(id, T0 + i)));
      const first = await ledger.listRequests({ limit: 2 });
      expect(first.entries.map((e) => e.id)).toEqual(['g', 'f']);
      expect(await ledger.pruneRequests(T0 + 3)).toBe(3);
      const seen: string[][] = [];
      let before = first.nextCursor;
      while (before !== undefined) {
        const page = await ledger.listRequests({ limit: 2, before });
        seen.push(page.entries.map((e) => e.id));
        before = page.nextCursor;
      }
      expect(seen).toEqual([['e', 'd']]);
      expect((await ledger.listRequests({ limit: 3 })).entries.map((e) => e.id)).toEqual(['g', 'f', 'e']);
    });

    test('prune deletes a backlog larger than one batch', async () => {
      const ledger = await open();
      // One more than the built-in adapters delete per statement, so the prune must loop.
      const old = Array.from({ length: PRUNE_BATCH + 1 }, (_, i) => request(`old-${i}`, T0 - DAY - i));
      await ledger.appendRequests(old);
      await ledger.appendRequests([request('new', T0)]);
      expect(await ledger.pruneRequests(T0 - DAY + 1)).toBe(PRUNE_BATCH + 1);
      expect((await ledger.listRequests()).entries.map((e) => e.id)).toEqual(['new']);
    });
  });
}
