/**
 * The aggregate-read section of the {@link GatewayLedger} conformance suite: `runUsage`,
 * `routeOutcomes` and `usageSeries` (see `conformance.ts`, which runs it).
 * @module
 */
import { describe, expect } from 'vitest';
import { type ConformanceHarness, HOUR, request, T0 } from './conformance-harness.js';

/** Usage per run and step, outcomes per route and usage per time bucket, over a window. */
export function aggregateCases({ test, open }: ConformanceHarness): void {
  describe('request log aggregates', () => {
    test('runUsage sums per run and step within [since, until), per tenant when asked', async () => {
      const ledger = await open();
      await ledger.appendRequests([
        request('a', T0, {
          runId: 'run_1',
          stepId: 'plan',
          inputTokens: 100,
          outputTokens: 50,
          costUsd: 0.25,
        }),
        request('b', T0 + 1, {
          runId: 'run_1',
          stepId: 'plan',
          inputTokens: 10,
          outputTokens: 5,
          costUsd: 0.5,
        }),
        request('c', T0 + 2, { runId: 'run_1', stepId: 'write', status: 'error', costUsd: 0 }),
        request('d', T0 + 3, { runId: 'run_1' }),
        request('e', T0 + 4, { runId: 'run_2', tenant: 'other', costUsd: 2 }),
        request('f', T0 + 5, {}),
        request('g', T0 - 1, { runId: 'run_1', costUsd: 9 }),
        request('h', T0 + HOUR, { runId: 'run_1', costUsd: 9 }),
      ]);
      expect(await ledger.runUsage({ since: T0, until: T0 + HOUR, tenant: 'acme' })).toEqual([
        { runId: 'run_1', calls: 1, errors: 0, tokens: 30, costUsd: 0.001 },
        { runId: 'run_1', stepId: 'plan', calls: 2, errors: 0, tokens: 165, costUsd: 0.75 },
        { runId: 'run_1', stepId: 'write', calls: 1, errors: 1, tokens: 30, costUsd: 0 },
      ]);
      const all = await ledger.runUsage({ since: T0, until: T0 + HOUR });
      expect(all.map((u) => u.runId)).toEqual(['run_1', 'run_1', 'run_1', 'run_2']);
      expect(
        (await ledger.listRequests({ runId: 'run_1', since: T0, limit: 10 })).entries.at(-1)?.stepId,
      ).toBe('plan');
      const ofStep = await ledger.listRequests({ runId: 'run_1', stepId: 'write', limit: 10 });
      expect(ofStep.entries.map((e) => e.id)).toEqual(['c']);
    });

    test('routeOutcomes counts calls and errors per tenant and route, cancelled calls and refusals not as errors', async () => {
      const ledger = await open();
      await ledger.appendRequests([
        request('a', T0, { route: 'fast' }),
        request('b', T0 + 1, { route: 'fast', status: 'error', errorCode: 'PROVIDER_TIMEOUT' }),
        request('c', T0 + 2, { route: 'fast', status: 'cancelled' }),
        request('d', T0 + 3, { route: 'smart' }),
        request('e', T0 + HOUR, { route: 'smart', status: 'error' }),
        request('f', T0 + 4, { route: 'fast', tenant: 'beta', status: 'error' }),
        // The gateway's refusals are no model's failure.
        request('g', T0 + 5, { route: 'fast', status: 'error', errorCode: 'BUDGET_EXCEEDED' }),
        request('h', T0 + 6, { route: 'fast', status: 'error', errorCode: 'RATE_LIMITED' }),
      ]);
      expect(await ledger.routeOutcomes({ since: T0, until: T0 + HOUR })).toEqual([
        { tenant: 'acme', route: 'fast', calls: 5, errors: 1 },
        { tenant: 'acme', route: 'smart', calls: 1, errors: 0 },
        { tenant: 'beta', route: 'fast', calls: 1, errors: 1 },
      ]);
      expect(await ledger.routeOutcomes({ since: T0, until: T0 + HOUR, tenant: 'other' })).toEqual([]);
    });

    test('usageSeries sums calls, tokens and cost per bucket from since, zeros included, per tenant', async () => {
      const ledger = await open();
      const MIN = 60_000;
      await ledger.appendRequests([
        request('a', T0, { inputTokens: 100, outputTokens: 50, costUsd: 0.25 }),
        request('b', T0 + MIN - 1, { costUsd: 0.5, status: 'error' }),
        request('c', T0 + 2 * MIN, { runId: 'run_1', costUsd: 1 }),
        request('d', T0 + 2 * MIN + 5, { tenant: 'beta', costUsd: 4 }),
        request('e', T0 - 1, { costUsd: 9 }),
        request('f', T0 + 3 * MIN, { costUsd: 9 }),
      ]);
      const window = { since: T0, until: T0 + 3 * MIN, tenant: 'acme' };
      expect(await ledger.usageSeries(window, MIN)).toEqual([
        { at: T0, calls: 2, tokens: 180, costUsd: 0.75 },
        { at: T0 + MIN, calls: 0, tokens: 0, costUsd: 0 },
        { at: T0 + 2 * MIN, calls: 1, tokens: 30, costUsd: 1 },
      ]);
      const all = await ledger.usageSeries({ since: T0, until: T0 + 3 * MIN }, 3 * MIN);
      expect(all).toEqual([{ at: T0, calls: 4, tokens: 240, costUsd: 5.75 }]);
      // A last bucket cut short by `until` is still a bucket.
      expect((await ledger.usageSeries({ since: T0, until: T0 + 150_000 }, MIN)).map((b) => b.at)).toEqual([
        T0,
        T0 + MIN,
        T0 + 2 * MIN,
      ]);
      await expect(ledger.usageSeries(window, 10)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(ledger.usageSeries({ since: T0, until: T0 }, MIN)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    });
  });
}
