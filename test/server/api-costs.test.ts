/**
 * Runs listed with what their model calls cost (from the gateway's ledger, a real SQLite ledger here),
 * and the cost filters, which scan pages and keep their cursor.
 */
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { Gateway } from '../../src/gateway/gateway.js';
import { openSqliteLedger } from '../../src/gateway/ledger/index.js';
import { createApiApp } from '../../src/server/app/index.js';
import type { ServerContext } from '../../src/server/context.js';
import { openSqliteControlStore } from '../../src/server/control/index.js';
import { openTestBaton } from '../helpers.js';
import { tempDir } from '../temp-dir.js';
import { ECHO_SPEC, TEST_FUNCTIONS } from './api-harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('lists runs with their cost and filters by cost across pages', async () => {
  const baton = await openTestBaton({ functions: TEST_FUNCTIONS });
  const dir = tempDir();
  const control = await openSqliteControlStore({ path: join(dir.dir, 'control.db') });
  const ledger = await openSqliteLedger({ path: join(dir.dir, 'gateway.db') });
  const gateway = Gateway.open({ config: {}, ledger });
  cleanups.push(
    dir.cleanup,
    () => baton.cleanupDir(),
    () => baton.close(),
    () => control.close(),
    () => ledger.close(),
    () => gateway.close(),
  );
  await baton.register(ECHO_SPEC);
  const ctx: ServerContext = { baton, control, gateway, now: Date.now, triggers: { fire: async () => [] } };
  const app = createApiApp(ctx, { rateLimit: false, logError: () => {} });
  const { secret } = await control.createKey({ tenant: 'acme', name: 'viewer', roles: ['viewer'] });

  // Six runs costing 0, 0.1, ..., 0.5 dollars (newest costs most).
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    const run = await baton.submit('echo', { i }, { tenant: 'acme' });
    ids.push(run.id);
    if (i > 0) await ledger.recordSpend([{ scope: 'run', scopeId: run.id, at: Date.now(), usd: i / 10 }]);
  }
  const get = async (query: string) => {
    const res = await app.request(`/v1/runs?${query}`, { headers: { authorization: `Bearer ${secret}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as { data: { id: string; costUsd: number }[]; next_cursor: string | null };
  };

  const costs = (page: { data: { costUsd: number }[] }) => page.data.map((r) => r.costUsd).sort();
  const all = await get('limit=10');
  expect(costs(all)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5]);

  // At least $0.25, two a page: the scan skips nothing and repeats nothing.
  const first = await get('minCostUsd=0.25&limit=2');
  expect(first.data).toHaveLength(2);
  const second = await get(`minCostUsd=0.25&limit=2&cursor=${first.next_cursor}`);
  expect(second.next_cursor).toBeNull();
  expect([...costs(first), ...costs(second)].sort()).toEqual([0.3, 0.4, 0.5]);

  const cheap = await get('maxCostUsd=0.1&limit=10');
  expect(cheap.data.map((r) => r.id).sort()).toEqual([ids[0], ids[1]].sort());

  const bad = await app.request('/v1/runs?minCostUsd=abc', {
    headers: { authorization: `Bearer ${secret}` },
  });
  expect(bad.status).toBe(400);
});
