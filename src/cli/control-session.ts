/**
 * Opening the API server's control store for a CLI command: beside the engine's store (the same
 * SQLite file, or the same Postgres database and schema).
 * @module
 */
import { openControlStore } from '../server/control/index.js';
import type { ControlStore } from '../server/control/port.js';
import { loadConfig } from './config.js';
import { type GlobalOptions, resolveDatabaseUrl, resolveDataDir } from './engine.js';

/** Opens the control store as the global options and config say. */
export async function openControl(globals: GlobalOptions): Promise<ControlStore> {
  const loaded = await loadConfig(globals.config);
  const databaseUrl = resolveDatabaseUrl(globals, loaded);
  const schema = loaded.config.databaseSchema;
  return openControlStore(
    databaseUrl === undefined
      ? { dataDir: resolveDataDir(globals, loaded) }
      : { databaseUrl, ...(schema === undefined ? {} : { databaseSchema: schema }) },
  );
}
