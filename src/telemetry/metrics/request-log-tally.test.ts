import { describe, expect, it } from 'vitest';
import type { GatewayLedger, RequestLogEntry, RequestPage } from '../../gateway/ledger/port.js';
import { METRICS } from './catalog.js';
import { RequestLogTally } from './request-log-tally.js';
import type { MetricsSource } from './source.js';
import { LabelCap, Tally } from './tally.js';

function entry(n: number): RequestLogEntry {
  return {
    id: `call_${n}`,
    at: 1000 + n,
    tenant: 'default',
    runId: `run_${n}`,
    route: 'fast',
    endpoint: 'chat',
    stream: false,
    status: 'ok',
    inputTokens: 1,
    outputTokens: 0,
    cachedInputTokens: 0,
    reasoningTokens: 0,
    costUsd: 0,
    latencyMs: 10,
    cacheHit: false,
    retries: 0,
    fallbacks: 0,
  };
}

describe('RequestLogTally', () => {
  it('tallies the log a page at a time, never holding more than a page of it', async () => {
    const events: string[] = [];
    // Three pages of 1,000 (the tally's page size), newest first, then one entry after the range.
    const pages: RequestPage[] = [0, 1, 2].map((p) => ({
      entries: Array.from({ length: 1000 }, (_, i) => entry(p * 1000 + i)),
      ...(p < 2 ? { nextCursor: `c${p}` } : {}),
    }));
    const ledger = {
      listRequests: async (filter?: { before?: string }) => {
        events.push(`page after ${filter?.before ?? 'start'}`);
        return pages[filter?.before === undefined ? 0 : Number(filter.before.slice(1)) + 1] as RequestPage;
      },
    } as unknown as GatewayLedger;
    const engine = {
      workflowsOf: async (ids: readonly string[]) => {
        events.push(`workflows of ${ids.length}`);
        return new Map(ids.map((id) => [id, 'triage']));
      },
    } as unknown as MetricsSource;
    const cap = () => new LabelCap(50);
    const tally = new Tally();
    await new RequestLogTally(ledger, engine, {
      workflow: cap(),
      model: cap(),
      tenant: cap(),
      code: cap(),
    }).add(tally, { from: 0, to: 1000 + 2999 });

    expect(events).toEqual([
      'page after start',
      'workflows of 1000',
      'page after c0',
      'workflows of 1000',
      'page after c1',
      'workflows of 999',
    ]);
    const tokens = [...(tally.counters.get(METRICS.tokens.name)?.values() ?? [])];
    expect(tokens).toEqual([
      { labels: { workflow: 'triage', model: 'fast', tenant: 'default', type: 'input' }, value: 2999 },
    ]);
  });
});
