/**
 * The SQLite ledger: the conformance suite and the basics of every SQLite adapter (see
 * `test/sqlite-adapter.ts`), plus the stored hash.
 */
import { describe, expect, it } from 'vitest';
import { ledgerConformance } from '../../src/gateway/ledger/conformance.js';
import { hashKeySecret } from '../../src/gateway/ledger/key-secret.js';
import { openSqliteLedger } from '../../src/gateway/ledger/sqlite-ledger.js';
import { readSqlite, useSqliteFiles } from '../sqlite.js';
import { sqliteAdapterBasics, sqliteConformance, sqliteOpener } from '../sqlite-adapter.js';

sqliteConformance(ledgerConformance, openSqliteLedger, 'baton-ledger-', 'ledger.db');

describe('SQLite ledger', () => {
  const files = useSqliteFiles('baton-ledger-');
  const { file } = files;
  const ledger = sqliteOpener(files, openSqliteLedger);

  sqliteAdapterBasics(files, {
    open: openSqliteLedger,
    prefix: 'gateway_',
    async exercise(l) {
      const { secret } = await l.createKey({ tenant: 'acme', name: 'ci' });
      expect(await l.findKeyBySecret(secret)).toBeDefined();
    },
  });

  it('stores the hash of the secret, never the secret', async () => {
    const path = file();
    const { key, secret } = await (await ledger(path)).createKey({ tenant: 'acme', name: 'ci' });
    const rows = readSqlite<Record<string, unknown>>(path, 'SELECT * FROM gateway_keys');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: key.id, secret_hash: hashKeySecret(secret) });
    const randomPart = secret.slice(13);
    for (const value of Object.values(rows[0] ?? {})) expect(String(value)).not.toContain(randomPart);
  });
});
