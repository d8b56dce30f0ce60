/**
 * `runStats` stays bounded on SQLite: each of its statements reads an index range of the tenant's runs
 * (migration 5), never the whole `runs` table nor all of a tenant's runs, so the overview's cost
 * follows the runs of its window (and the runs active now).
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { runStatsStatements } from '../../src/store/run-stats.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { tempDir } from '../temp-dir.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

it('reads every figure of a tenant through an index', async () => {
  const dir = tempDir('baton-stats-');
  cleanups.push(dir.cleanup);
  const path = join(dir.dir, 'store.db');
  const store = new SqliteStore({ path });
  await store.init();
  await store.close();
  const db = new Database(path, { readonly: true });
  cleanups.unshift(() => db.close());

  const t = 1_800_000_000_000;
  const s = runStatsStatements(
    { tenant: 'acme', since: t, until: t + 3_600_000, bucketMs: 60_000, recentSince: t, failuresSince: t },
    { param: () => '?', errorField: (f) => `json_extract(error, '$.${f}')` },
  );
  const plans = Object.entries({ ...s, durations: s.durations([1, 2]) }).map(([name, st]) => {
    const rows = db.prepare(`EXPLAIN QUERY PLAN ${st.text}`).all(...st.values) as { detail: string }[];
    return { name, plan: rows.map((r) => r.detail).join(' | ') };
  });
  for (const { name, plan } of plans) {
    // A full scan reads as `SCAN runs` without `USING ... INDEX`.
    expect({ name, fullScan: /SCAN runs(?! USING)/.test(plan) }, plan).toEqual({ name, fullScan: false });
  }
  const plan = (name: string) => plans.find((p) => p.name === name)?.plan ?? '';
  expect(plan('started')).toContain('runs_tenant_created');
  expect(plan('failures')).toContain('runs_tenant_finished');
  // Not every run of the tenant: only those in an active status.
  expect(plan('active')).toContain('runs_tenant_status (tenant=? AND status=?)');
});
