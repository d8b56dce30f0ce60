/**
 * The SQLite control store: the conformance suite and the basics of every SQLite adapter (see
 * `test/sqlite-adapter.ts`), plus what only it shows: secrets kept as hashes only, and
 * `openControlStore` opening `<dataDir>/baton.db`.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteAgentStore } from '../../src/agents/state/sqlite-agent-store.js';
import { controlStoreConformance } from '../../src/server/control/conformance.js';
import { openControlStore } from '../../src/server/control/index.js';
import { openSqliteControlStore } from '../../src/server/control/sqlite-control-store.js';
import { readSqlite, useSqliteFiles } from '../sqlite.js';
import { sqliteAdapterBasics, sqliteConformance, sqliteOpener } from '../sqlite-adapter.js';

sqliteConformance(controlStoreConformance, openSqliteControlStore, 'baton-control-');

describe('SQLite control store', () => {
  const files = useSqliteFiles('baton-control-', join('.baton', 'baton.db'));
  const { file, defer } = files;
  const controlStore = sqliteOpener(files, openSqliteControlStore);

  sqliteAdapterBasics(files, {
    open: openSqliteControlStore,
    prefix: 'control_',
    alongside: (path) => openSqliteAgentStore({ path }),
    async exercise(store) {
      await store.advanceCursor('feed', 3);
      expect(await store.readCursor('feed')).toBe(3);
    },
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

  it('openControlStore opens <dataDir>/baton.db', async () => {
    const path = file();
    const control = await openControlStore({ dataDir: join(path, '..') });
    defer(() => control.close());
    await control.createKey({ tenant: 'acme', name: 'first admin', roles: ['admin'] });
    expect(readSqlite<{ n: number }>(path, 'SELECT count(*) AS n FROM control_keys')).toEqual([{ n: 1 }]);
  });
});
