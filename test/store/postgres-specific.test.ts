/**
 * What only the Postgres adapter has to get right: many processes migrating at once, a schema newer
 * than the code, wake-ups across processes, connections dropped under it, and a server whose default
 * isolation is not READ COMMITTED. (The conformance suite covers the rest.)
 */
import pg from 'pg';
import { expect, it } from 'vitest';
import type { Graph } from '../../src/core/types.js';
import { MIGRATIONS } from '../../src/store/postgres/migrations/index.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import {
  connectionTo,
  describePostgres,
  type FreshPostgres,
  sql,
  usePostgresDatabases,
} from '../postgres.js';
import { until } from '../until.js';

const { database, defer } = usePostgresDatabases();

function store(db: FreshPostgres, options: Partial<ConstructorParameters<typeof PostgresStore>[0]> = {}) {
  const s = new PostgresStore({
    ...connectionTo(db),
    poolSize: 3,
    ...options,
  });
  defer(() => s.close());
  return s;
}

const waitGraph: Graph = {
  workflow: 'w',
  hasOutput: false,
  steps: [
    {
      id: 'w',
      kind: 'wait',
      needs: [],
      conditional: false,
      retry: { maxAttempts: 1, initialDelayMs: 1, maxDelayMs: 1, backoff: 2, jitter: 0 },
      effect: false,
      idempotent: false,
      compensable: false,
    },
  ],
};

const register = (s: PostgresStore) =>
  s.registerVersion({
    workflow: 'w',
    label: '1',
    hash: 'h',
    source: 'spec',
    graph: waitGraph,
    definition: {},
  });

describePostgres('Postgres adapter', () => {
  it('ten processes starting at once migrate once', async (ctx) => {
    const db = await database();
    // PGlite serves every connection from one session: no concurrency, no per-connection search_path.
    if (db.kind !== 'server') ctx.skip();
    // The template is migrated already: start from an empty schema instead.
    await sql(db, 'DROP TABLE IF EXISTS baton_schema');
    await sql(db, 'CREATE SCHEMA IF NOT EXISTS fresh');
    const stores = Array.from({ length: 10 }, () => store(db, { schema: 'fresh' }));
    await Promise.all(stores.map((s) => s.init()));
    const rows = await sql<{ version: number }>(db, 'SELECT version FROM fresh.baton_schema');
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });

  it('refuses a schema newer than the code, saying what to do', async () => {
    const db = await database();
    await sql(db, 'INSERT INTO baton_schema (version, migrated_at) VALUES (99, 0)');
    await expect(store(db).init()).rejects.toMatchObject({
      code: 'STORE_SCHEMA_TOO_NEW',
      hint: expect.stringContaining('Upgrade'),
    });
  });

  it('a process learns of work another process wrote, through NOTIFY', async () => {
    const db = await database();
    const a = store(db);
    const b = store(db);
    await Promise.all([a.init(), b.init()]);
    await register(a);
    const woken: boolean[] = [];
    b.onWork((timers) => woken.push(timers));
    await a.createRun({ workflow: 'w', input: null });
    await until('b to hear of the new task', async () => woken.length > 0);
  });

  it('keeps working after its connections are killed under it', async () => {
    const db = await database();
    const s = store(db);
    await s.init();
    await register(s);
    const before = await s.createRun({ workflow: 'w', input: null });
    await sql(
      db,
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'baton'",
    );
    const after = await s.createRun({ workflow: 'w', input: null });
    expect((await s.getRun(before.run.id))?.status).toBe('running');
    expect((await s.getRun(after.run.id))?.status).toBe('running');
    // The listener reconnects too.
    await until('the listener to be back', async () => s.idlePoll.claimsMs > 250);
  });

  it('delivers an event that races a run reaching its wait, even where the server defaults to REPEATABLE READ', async (ctx) => {
    const db = await database();
    // PGlite grants every advisory lock at once, so the race cannot be staged there.
    if (db.kind !== 'server') ctx.skip();
    const name = new URL(db.connectionString).pathname.slice(1);
    await sql(db, `ALTER DATABASE "${name}" SET default_transaction_isolation = 'repeatable read'`);
    const s = store(db);
    await s.init();
    await register(s);
    const { run } = await s.createRun({ workflow: 'w', input: null });
    const [task] = await s.claimTasks({ workerId: 'x', limit: 1, leaseMs: 60_000 });
    // Stage the order: the publisher queues for the event key's lock first, the run reaching its wait second.
    const admin = new pg.Client({ connectionString: db.connectionString });
    await admin.connect();
    defer(() => admin.end());
    await admin.query("SELECT pg_advisory_lock(hashtext('baton.event:k'))");
    const waiters = async () =>
      (
        await admin.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'advisory'",
        )
      ).rows[0]?.n ?? 0;
    const published = s.publishEvent('k', { n: 1 });
    await until('the publisher to queue', async () => (await waiters()) === 1);
    const reached = s.completeTask({
      task: task as NonNullable<typeof task>,
      workerId: 'x',
      outcome: { type: 'suspended', wait: { type: 'event', key: 'k', since: run.createdAt } },
    });
    await until('the run to queue behind it', async () => (await waiters()) === 2);
    await admin.query("SELECT pg_advisory_unlock(hashtext('baton.event:k'))");
    await Promise.all([published, reached]);
    // Either the publisher saw the wait or the run saw the event: the event is never lost.
    expect((await s.getRun(run.id))?.status).toBe('succeeded');
  });
});
