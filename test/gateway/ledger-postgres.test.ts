/**
 * The Postgres ledger: the conformance suite and the basics of every Postgres adapter (see
 * `test/postgres-adapter.ts`), plus what only it shows: the stored hash, connections killed under it,
 * retries, an advisory lock apart from the engine store's.
 */
import pg from 'pg';
import { expect, it } from 'vitest';
import { ledgerConformance } from '../../src/gateway/ledger/conformance.js';
import { request } from '../../src/gateway/ledger/conformance-harness.js';
import { hashKeySecret } from '../../src/gateway/ledger/key-secret.js';
import type { GatewayLedger } from '../../src/gateway/ledger/port.js';
import { type LedgerPgPool, openPostgresLedger } from '../../src/gateway/ledger/postgres-ledger.js';
import { describePostgres, sql, usePostgresDatabases } from '../postgres.js';
import { adapterOpener, postgresAdapterBasics, postgresConformance } from '../postgres-adapter.js';

postgresConformance(ledgerConformance, openPostgresLedger);

describePostgres('Postgres ledger', () => {
  const databases = usePostgresDatabases();
  const { database, defer } = databases;
  const ledger = adapterOpener(databases, openPostgresLedger);

  postgresAdapterBasics(databases, {
    open: openPostgresLedger,
    migrations: 'gateway_migrations',
    table: 'gateway_keys',
    async shareTables(ledgers) {
      const created = await Promise.all(
        ledgers.map((l, i) => l.createKey({ tenant: 'acme', name: `k${i}` })),
      );
      const first = ledgers[0] as GatewayLedger;
      for (const { key, secret } of created) expect(await first.findKeyBySecret(secret)).toEqual(key);
      expect(await first.listKeys({ tenant: 'acme' })).toHaveLength(5);
    },
    async keepApart(inSchema, inDefault) {
      await inSchema.createKey({ tenant: 'a', name: 'in schema' });
      expect(await inDefault.listKeys()).toEqual([]);
    },
    async useBarePool(l) {
      const { key, secret } = await l.createKey({
        tenant: 'acme',
        name: 'ci',
        expiresAt: Date.now() + 60_000,
      });
      expect(typeof key.createdAt).toBe('number');
      expect(await l.findKeyBySecret(secret)).toEqual(key);
      await l.recordSpend([{ scope: 'tenant', scopeId: 'acme', at: Date.now(), usd: 0.5 }]);
      expect(await l.spentSince('tenant', 'acme', 0)).toBe(0.5);
    },
  });

  it('stores the hash of the secret, never the secret', async () => {
    const db = await database();
    const { key, secret } = await (await ledger(db)).createKey({ tenant: 'acme', name: 'ci' });
    const rows = await sql<Record<string, unknown>>(db, 'SELECT * FROM gateway_keys');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: key.id, secret_hash: hashKeySecret(secret) });
    const randomPart = secret.slice(13);
    for (const value of Object.values(rows[0] ?? {})) expect(String(value)).not.toContain(randomPart);
  });

  it('keeps working after its connections are killed under it', async () => {
    const db = await database();
    const l = await ledger(db);
    const { secret } = await l.createKey({ tenant: 'acme', name: 'ci' });
    await sql(
      db,
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'baton-gateway'",
    );
    // Only idempotent operations here: they run again if they meet a connection not yet seen dead.
    expect(await l.findKeyBySecret(secret)).toBeDefined();
    await l.appendRequests([request('a', Date.now())]);
    expect((await l.listRequests()).entries.map((e) => e.id)).toEqual(['a']);
  });

  it('retries idempotent statements on a lost connection, never a spend write; no read for a malformed secret', async () => {
    const db = await database();
    const real = new pg.Pool({ connectionString: db.connectionString, max: 2 });
    defer(() => real.end());
    let breaks = 0;
    let calls = 0;
    const pool: LedgerPgPool = {
      query: async (text, values) => {
        calls++;
        if (breaks > 0) {
          breaks--;
          throw new Error('Connection terminated unexpectedly');
        }
        return real.query(text, values);
      },
      connect: () => real.connect(),
      end: () => real.end(),
    };
    const l = await openPostgresLedger({ pool });
    breaks = 2;
    expect(await l.listKeys()).toEqual([]);
    breaks = 3;
    await expect(l.listRequests()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    breaks = 1;
    calls = 0;
    await expect(
      l.recordSpend([{ scope: 'tenant', scopeId: 'acme', at: Date.now(), usd: 1 }]),
    ).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', hint: expect.stringContaining('may or may not') });
    expect(calls).toBe(1);
    expect(await l.spentSince('tenant', 'acme', 0)).toBe(0);
    // A statement's own error is not a lost connection: no retry, no translation.
    calls = 0;
    await expect(l.spentSince('tenant', 'acme', 1e20)).rejects.toMatchObject({ code: '22003' });
    expect(calls).toBe(1);
    // A malformed secret is refused without a database read.
    calls = 0;
    expect(await l.findKeyBySecret('sk-not-a-baton-key')).toBeUndefined();
    expect(await l.findKeyBySecret(`bvk_short_${'a'.repeat(43)}`)).toBeUndefined();
    expect(calls).toBe(0);
    await l.close();
  });

  it('takes an advisory lock apart from the engine store migration lock', async (ctx) => {
    const db = await database();
    ctx.skip(db.kind !== 'server', 'PGlite grants every advisory lock at once');
    // Hold the engine's migration lock (one-key form) in another session: the ledger must not wait for it.
    const admin = new pg.Client({ connectionString: db.connectionString });
    await admin.connect();
    defer(() => admin.end());
    await admin.query("SELECT pg_advisory_lock(hashtext('baton.migrate:'))");
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error('the ledger waited for the engine store migration lock')),
        5000,
      );
    });
    try {
      await Promise.race([ledger(db), waited]);
    } finally {
      clearTimeout(timer);
    }
  });
});
