/**
 * The aggregate-read section of the {@link GatewayLedger} conformance suite: `runUsage` and
 * `routeOutcomes` (see `conformance.ts`, which runs it).
 * @module
 */
import { describe, expect } from 'vitest';
import { type ConformanceHarness, HOUR, request, T0 } from './conformance-harness.js';

/** Usage per run and step, outcomes per route, over a window. */
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
    });

    test('routeOutcomes counts calls and errors per tenant and route, cancelled calls not as errors', async () => {
      const ledger = await open();
      await ledger.appendRequests([
        request('a', T0, { route: 'fast' }),
        request('b', T0 + 1, { route: 'fast', status: 'error', errorCode: 'PROVIDER_TIMEOUT' }),
        request('c', T0 + 2, { route: 'fast', status: 'cancelled' }),
        request('d', T0 + 3, { route: 'smart' }),
        request('e', T0 + HOUR, { route: 'smart', status: 'error' }),
        request('f', T0 + 4, { route: 'fast', tenant: 'beta', status: 'error' }),
      ]);
      expect(await ledger.routeOutcomes({ since: T0, until: T0 + HOUR })).toEqual([
        { tenant: 'acme', route: 'fast', calls: 3, errors: 1 },
        { tenant: 'acme', route: 'smart', calls: 1, errors: 0 },
        { tenant: 'beta', route: 'fast', calls: 1, errors: 1 },
      ]);
      expect(await ledger.routeOutcomes({ since: T0, until: T0 + HOUR, tenant: 'other' })).toEqual([]);
    });
  });
}
