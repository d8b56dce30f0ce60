import { afterEach } from 'vitest';
import { Baton, type BatonOptions } from '../src/runtime/baton.js';
import { tempDir } from './temp-dir.js';

export { tempDir };

/** An engine on a fresh SQLite file; call `close()` and `cleanupDir()` after the test. */
export async function openTestBaton(
  options: BatonOptions = {},
): Promise<Baton & { dir: string; cleanupDir: () => void }> {
  const { dir, cleanup } = tempDir();
  const baton = await Baton.open({ dataDir: dir, durability: 'normal', ...options });
  return Object.assign(baton, { dir, cleanupDir: cleanup });
}

/**
 * Returns a function that opens engines on fresh SQLite files; every engine it opened is closed (its
 * workers stopped) and its files removed after each test, so no test leaks a worker or a file.
 */
export function useEngines(): (options?: BatonOptions) => Promise<Baton> {
  let open: (Baton & { cleanupDir: () => void })[] = [];
  afterEach(async () => {
    for (const b of open) {
      await b.close();
      b.cleanupDir();
    }
    open = [];
  });
  return async (options = {}) => {
    const b = await openTestBaton(options);
    open.push(b);
    return b;
  };
}
