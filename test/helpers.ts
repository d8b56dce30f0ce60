import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Baton, type BatonOptions } from '../src/runtime/baton.js';

/** A fresh temp directory, removed by the returned cleanup. */
export function tempDir(prefix = 'baton-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An engine on a fresh SQLite file; call `close()` in afterEach. */
export async function openTestBaton(options: BatonOptions = {}): Promise<Baton & { dir: string; cleanupDir: () => void }> {
  const { dir, cleanup } = tempDir();
  const baton = await Baton.open({ dataDir: dir, durability: 'normal', ...options });
  return Object.assign(baton, { dir, cleanupDir: cleanup });
}
