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
