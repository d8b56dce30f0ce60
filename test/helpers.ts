import { afterEach } from 'vitest';
import { Baton, type BatonOptions } from '../src/runtime/baton.js';
import { requirePostgres } from './postgres.js';
import { tempDir } from './temp-dir.js';

export { tempDir };

/** A test engine, with the options that open another engine on the same store. */
export type TestBaton = Baton & { where: BatonOptions; cleanupDir: () => Promise<void> | void };

let engineStore: 'sqlite' | 'postgres' = 'sqlite';

/** Which store the engines of this test file run on (call before any engine opens). */
export function setEngineStore(kind: 'sqlite' | 'postgres'): void {
  engineStore = kind;
}

/** An engine on a fresh store (a SQLite file, or a fresh Postgres database); `close()` and `cleanupDir()` after. */
export async function openTestBaton(options: BatonOptions = {}): Promise<TestBaton> {
  if (engineStore === 'postgres') {
    const db = await requirePostgres();
    const where: BatonOptions = {
      databaseUrl: db.connectionString,
      ...(db.schema === undefined ? {} : { databaseSchema: db.schema }),
    };
    const baton = await Baton.open({ ...where, ...options });
    return Object.assign(baton, { where, cleanupDir: db.drop });
  }
  const { dir, cleanup } = tempDir();
  const where: BatonOptions = { dataDir: dir, durability: 'normal' };
  const baton = await Baton.open({ ...where, ...options });
  return Object.assign(baton, { where, cleanupDir: cleanup });
}

/**
 * Returns a function that opens engines on fresh stores; every engine it opened is closed (its workers
 * stopped) and its store removed after each test, so no test leaks a worker, a file or a database.
 */
export function useEngines(): (options?: BatonOptions) => Promise<TestBaton> {
  let open: TestBaton[] = [];
  afterEach(async () => {
    for (const b of open) {
      await b.close();
      await b.cleanupDir();
    }
    open = [];
  });
  return async (options = {}) => {
    const b = await openTestBaton(options);
    open.push(b);
    return b;
  };
}
