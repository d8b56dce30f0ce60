import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeConformance } from '../../src/store/conformance.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

storeConformance('sqlite', async (options) => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-conf-'));
  const store = new SqliteStore({ ...options, path: join(dir, 'store.db'), durability: 'normal' });
  return { store, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});
