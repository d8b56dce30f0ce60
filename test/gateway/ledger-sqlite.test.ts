/**
 * The SQLite ledger: the conformance suite, plus what only its file shows (the stored hash, its
 * migrations, sharing a file with the engine's store).
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ledgerConformance } from '../../src/gateway/ledger/conformance.js';
import { hashKeySecret } from '../../src/gateway/ledger/key-secret.js';
import type { GatewayLedger } from '../../src/gateway/ledger/port.js';
import { openSqliteLedger } from '../../src/gateway/ledger/sqlite-ledger.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { readSqlite, useSqliteFiles } from '../sqlite.js';
import { tempDir } from '../temp-dir.js';

ledgerConformance('sqlite', async () => {
  const { dir, cleanup } = tempDir('baton-ledger-');
  const path = join(dir, 'ledger.db');
  return { open: (options) => openSqliteLedger({ ...options, path }), cleanup: async () => cleanup() };
});

describe('SQLite ledger', () => {
  const { file, defer } = useSqliteFiles('baton-ledger-');

  async function ledger(path: string): Promise<GatewayLedger> {
    const l = await openSqliteLedger({ path });
    defer(() => l.close());
    return l;
  }

  it('stores the hash of the secret, never the secret', async () => {
    const path = file();
    const { key, secret } = await (await ledger(path)).createKey({ tenant: 'acme', name: 'ci' });
    const rows = readSqlite<Record<string, unknown>>(path, 'SELECT * FROM gateway_keys');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: key.id, secret_hash: hashKeySecret(secret) });
    const randomPart = secret.slice(13);
    for (const value of Object.values(rows[0] ?? {})) expect(String(value)).not.toContain(randomPart);
  });

  it('migrates once, in gateway_migrations, in WAL mode', async () => {
    const path = file();
    await (await ledger(path)).close();
    await ledger(path);
    expect(readSqlite<{ version: number }>(path, 'SELECT version FROM gateway_migrations')).toEqual([
      { version: 1 },
    ]);
    expect(readSqlite<{ journal_mode: string }>(path, 'PRAGMA journal_mode')).toEqual([
      { journal_mode: 'wal' },
    ]);
  });

  it('shares a file with the engine store, each with its own schema version', async () => {
    const path = file();
    const store = new SqliteStore({ path, durability: 'normal' });
    await store.init();
    defer(() => store.close());
    const l = await ledger(path);
    const { secret } = await l.createKey({ tenant: 'acme', name: 'ci' });
    expect(await l.findKeyBySecret(secret)).toBeDefined();
    const engineVersion = readSqlite<{ user_version: number }>(path, 'PRAGMA user_version')[0]?.user_version;
    expect(engineVersion).toBeGreaterThan(0);
    // And the other way round: a store opened on a file the ledger created.
    const other = file();
    await ledger(other);
    const second = new SqliteStore({ path: other, durability: 'normal' });
    await second.init();
    defer(() => second.close());
    expect(readSqlite<{ user_version: number }>(other, 'PRAGMA user_version')[0]?.user_version).toBe(
      engineVersion,
    );
  });

  it('refuses a ledger schema newer than the code, saying what to do', async () => {
    const path = file();
    await (await ledger(path)).close();
    const db = new Database(path);
    db.prepare('INSERT INTO gateway_migrations (version, migrated_at) VALUES (99, 0)').run();
    db.close();
    await expect(openSqliteLedger({ path })).rejects.toMatchObject({
      code: 'STORE_SCHEMA_TOO_NEW',
      hint: expect.stringContaining('Upgrade'),
    });
  });
});
