/** Upgrading a SQLite store in place: what a new migration must carry over from the old schema. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/sqlite/migrations/index.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

it('migration 3 puts approvals already waiting into the inbox', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-mig-'));
  dirs.push(dir);
  const path = join(dir, 'store.db');
  const old = new Database(path);
  for (const sql of MIGRATIONS.slice(0, 2)) old.exec(sql);
  old.pragma('user_version = 2');
  old.exec(`
    INSERT INTO workflow_versions VALUES ('wf@1', 'wf', 1, '1', 'h', 'spec', '{}', '{}', 1);
    INSERT INTO runs (id, workflow, version_id, status, phase, input, tenant, trace_id, created_at)
      VALUES ('run_1', 'wf', 'wf@1', 'waiting', 'steps', 'null', 'acme', 't', 10);
    INSERT INTO steps (run_id, step_id, status, attempt, started_at, wait)
      VALUES ('run_1', 'ok', 'waiting', 1, 20,
        '{"type":"approval","approval":{"prompt":"ok?","role":"finance","defaultAction":"reject","onReject":"fail"}}'),
             ('run_1', 'nap', 'waiting', 1, 20, '{"type":"sleep","until":99}');
  `);
  old.close();
  const store = new SqliteStore({ path });
  await store.init();
  try {
    expect(await store.listApprovals()).toEqual([
      {
        runId: 'run_1',
        stepId: 'ok',
        workflow: 'wf',
        versionId: 'wf@1',
        tenant: 'acme',
        since: 20,
        request: { prompt: 'ok?', role: 'finance', defaultAction: 'reject', onReject: 'fail' },
      },
    ]);
    expect((await store.listRuns({ waitingForApproval: true })).map((r) => r.id)).toEqual(['run_1']);
  } finally {
    await store.close();
  }
});

it('migration 4 gives waits their run’s tenant and keeps old events for every tenant', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-mig-'));
  dirs.push(dir);
  const path = join(dir, 'store.db');
  const old = new Database(path);
  for (const sql of MIGRATIONS.slice(0, 3)) old.exec(sql);
  old.pragma('user_version = 3');
  old.exec(`
    INSERT INTO workflow_versions VALUES ('wf@1', 'wf', 1, '1', 'h', 'spec', '{}', '{}', 1);
    INSERT INTO runs (id, workflow, version_id, status, phase, input, tenant, trace_id, created_at)
      VALUES ('run_1', 'wf', 'wf@1', 'waiting', 'steps', 'null', 'acme', 't', 10);
    INSERT INTO waits (run_id, step_id, key, since) VALUES ('run_1', 'w', 'go', 10);
    INSERT INTO events (key, payload, at) VALUES ('go', 'null', 5);
  `);
  old.close();
  const store = new SqliteStore({ path });
  await store.init();
  try {
    // Another tenant's event does not reach the acme run's wait, so it needs no valid graph here.
    expect(await store.publishEvent('go', null, { tenant: 'globex' })).toEqual({ woken: 0 });
  } finally {
    await store.close();
  }
  const db = new Database(path, { readonly: true });
  try {
    expect(db.prepare('SELECT run_id, tenant FROM waits').all()).toEqual([
      { run_id: 'run_1', tenant: 'acme' },
    ]);
    expect(db.prepare('SELECT key, tenant FROM events ORDER BY id').all()).toEqual([
      { key: 'go', tenant: null },
      { key: 'go', tenant: 'globex' },
    ]);
    const plan = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('go', 'acme', 0) as { detail: string }[])
        .map((r) => r.detail)
        .join('\n');
    expect(plan('SELECT run_id FROM waits WHERE key = ? AND tenant = ? AND since <= ?')).toContain(
      'waits_key_tenant (key=? AND tenant=?)',
    );
    expect(
      plan('SELECT id FROM events WHERE key = ? AND (tenant IS NULL OR tenant = ?) AND at >= ?'),
    ).toContain('events_key_tenant');
  } finally {
    db.close();
  }
});
