/**
 * The SQLite control store: the conformance suite, plus what only its file shows: its migrations,
 * secrets kept as hashes only, and sharing `.baton/baton.db` with the engine's store and the agent
 * store.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSqliteAgentStore } from '../../src/agents/state/sqlite-agent-store.js';
import { controlStoreConformance } from '../../src/server/control/conformance.js';
import { openControlStore } from '../../src/server/control/index.js';
import type { ControlStore } from '../../src/server/control/port.js';
import { openSqliteControlStore } from '../../src/server/control/sqlite-control-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { readSqlite, useSqliteFiles } from '../sqlite.js';
import { tempDir } from '../temp-dir.js';

controlStoreConformance('sqlite', async () => {
  const { dir, cleanup } = tempDir('baton-control-');
  const path = join(dir, 'baton.db');
  return { open: (options) => openSqliteControlStore({ ...options, path }), cleanup: async () => cleanup() };
});

describe('SQLite control store', () => {
  const { file, defer } = useSqliteFiles('baton-control-', join('.baton', 'baton.db'));

  async function controlStore(path: string): Promise<ControlStore> {
    const s = await openSqliteControlStore({ path });
    defer(() => s.close());
    return s;
  }

  it('migrates once, in control_migrations, in WAL mode, leaving user_version alone', async () => {
    const path = file();
    await (await controlStore(path)).close();
    await controlStore(path);
    expect(readSqlite<{ version: number }>(path, 'SELECT version FROM control_migrations')).toEqual([
      { version: 1 },
    ]);
    expect(readSqlite<{ journal_mode: string }>(path, 'PRAGMA journal_mode')).toEqual([
      { journal_mode: 'wal' },
    ]);
    expect(readSqlite<{ user_version: number }>(path, 'PRAGMA user_version')).toEqual([{ user_version: 0 }]);
    const tables = readSqlite<{ name: string }>(path, "SELECT name FROM sqlite_schema WHERE type = 'table'");
    expect(tables.length).toBeGreaterThan(5);
    expect(tables.every((t) => t.name.startsWith('control_'))).toBe(true);
  });

  it('keeps the SHA-256 of a key secret, never the secret', async () => {
    const path = file();
    const store = await controlStore(path);
    const { key, secret } = await store.createKey({ tenant: 'acme', name: 'ci', roles: ['admin'] });
    await store.findKeyBySecret(secret);
    const rows = readSqlite<Record<string, unknown>>(path, 'SELECT * FROM control_keys');
    expect(rows).toHaveLength(1);
    expect(rows[0]?.secret_hash).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(rows[0]?.id).toBe(key.id);
    expect(JSON.stringify(rows)).not.toContain(secret.slice(12));
  });

  it('shares a file with the engine store and the agent store, either opened first', async () => {
    const path = file();
    const engine = new SqliteStore({ path, durability: 'normal' });
    await engine.init();
    defer(() => engine.close());
    const agents = await openSqliteAgentStore({ path });
    defer(() => agents.close());
    const store = await controlStore(path);
    await store.advanceCursor('feed', 3);
    expect(await store.readCursor('feed')).toBe(3);
    const engineVersion = readSqlite<{ user_version: number }>(path, 'PRAGMA user_version')[0]?.user_version;
    expect(engineVersion).toBeGreaterThan(0);
    const other = file();
    await controlStore(other);
    const second = new SqliteStore({ path: other, durability: 'normal' });
    await second.init();
    defer(() => second.close());
    expect(readSqlite<{ user_version: number }>(other, 'PRAGMA user_version')[0]?.user_version).toBe(
      engineVersion,
    );
  });

  it('openControlStore opens <dataDir>/baton.db', async () => {
    const path = file();
    const control = await openControlStore({ dataDir: join(path, '..') });
    defer(() => control.close());
    await control.createKey({ tenant: 'acme', name: 'first admin', roles: ['admin'] });
    expect(readSqlite<{ n: number }>(path, 'SELECT count(*) AS n FROM control_keys')).toEqual([{ n: 1 }]);
  });

  it('refuses a schema newer than the code, saying what to do', async () => {
    const path = file();
    await (await controlStore(path)).close();
    const db = new Database(path);
    db.prepare('INSERT INTO control_migrations (version, migrated_at) VALUES (99, 0)').run();
    db.close();
    await expect(openSqliteControlStore({ path })).rejects.toMatchObject({
      code: 'STORE_SCHEMA_TOO_NEW',
      hint: expect.stringContaining('Upgrade'),
    });
  });
});
