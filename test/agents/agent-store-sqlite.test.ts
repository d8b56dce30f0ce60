/**
 * The SQLite agent store: the conformance suite, plus what only its file shows (its migrations, the
 * embedding BLOBs, sharing `.baton/baton.db` with the engine's store and the gateway ledger) and a
 * journal that survives a SIGKILL of the worker right after append returned.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { agentStoreConformance } from '../../src/agents/state/conformance.js';
import type { AgentStore } from '../../src/agents/state/port.js';
import { openSqliteAgentStore } from '../../src/agents/state/sqlite-agent-store.js';
import { openSqliteLedger } from '../../src/gateway/ledger/sqlite-ledger.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { readSqlite, useSqliteFiles } from '../sqlite.js';
import { tempDir } from '../temp-dir.js';

agentStoreConformance('sqlite', async () => {
  const { dir, cleanup } = tempDir('baton-agents-');
  const path = join(dir, 'baton.db');
  return { open: (options) => openSqliteAgentStore({ ...options, path }), cleanup: async () => cleanup() };
});

describe('SQLite agent store', () => {
  const { file, defer } = useSqliteFiles('baton-agents-', join('.baton', 'baton.db'));

  async function agentStore(path: string): Promise<AgentStore> {
    const s = await openSqliteAgentStore({ path });
    defer(() => s.close());
    return s;
  }

  it('migrates once, in agent_migrations, in WAL mode, leaving user_version alone', async () => {
    const path = file();
    await (await agentStore(path)).close();
    await agentStore(path);
    expect(readSqlite<{ version: number }>(path, 'SELECT version FROM agent_migrations')).toEqual([
      { version: 1 },
    ]);
    expect(readSqlite<{ journal_mode: string }>(path, 'PRAGMA journal_mode')).toEqual([
      { journal_mode: 'wal' },
    ]);
    expect(readSqlite<{ user_version: number }>(path, 'PRAGMA user_version')).toEqual([{ user_version: 0 }]);
    const tables = readSqlite<{ name: string }>(
      path,
      "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name",
    );
    expect(tables.every((t) => t.name.startsWith('agent_'))).toBe(true);
  });

  it('stores embeddings as float32 little-endian BLOBs', async () => {
    const path = file();
    const store = await agentStore(path);
    await store.remember({ tenant: 'acme', agent: 'bot', text: 'x', embedding: [1.5, -2, 0.25] });
    const [row] = readSqlite<{ embedding: Buffer; dims: number; t: string }>(
      path,
      'SELECT embedding, dims, typeof(embedding) AS t FROM agent_memories',
    );
    expect(row?.t).toBe('blob');
    expect(row?.dims).toBe(3);
    // 1.5, -2 and 0.25 as float32, little-endian.
    const expected = Buffer.from('0000c03f000000c00000803e', 'hex');
    expect(row?.embedding.equals(expected)).toBe(true);
  });

  it('shares a file with the engine store and the gateway ledger', async () => {
    const path = file();
    const engine = new SqliteStore({ path, durability: 'normal' });
    await engine.init();
    defer(() => engine.close());
    const ledger = await openSqliteLedger({ path });
    defer(() => ledger.close());
    const store = await agentStore(path);
    await store.writeRunMemory('run_1', { k: 1 });
    expect(await store.readRunMemory('run_1')).toEqual({ k: 1 });
    expect(await ledger.listKeys()).toEqual([]);
    const engineVersion = readSqlite<{ user_version: number }>(path, 'PRAGMA user_version')[0]?.user_version;
    expect(engineVersion).toBeGreaterThan(0);
    // And the other way round: the engine's store opened on a file the agent store created.
    const other = file();
    await agentStore(other);
    const second = new SqliteStore({ path: other, durability: 'normal' });
    await second.init();
    defer(() => second.close());
    expect(readSqlite<{ user_version: number }>(other, 'PRAGMA user_version')[0]?.user_version).toBe(
      engineVersion,
    );
  });

  it('refuses a schema newer than the code, saying what to do', async () => {
    const path = file();
    await (await agentStore(path)).close();
    const db = new Database(path);
    db.prepare('INSERT INTO agent_migrations (version, migrated_at) VALUES (99, 0)').run();
    db.close();
    await expect(openSqliteAgentStore({ path })).rejects.toMatchObject({
      code: 'STORE_SCHEMA_TOO_NEW',
      hint: expect.stringContaining('Upgrade'),
    });
  });

  it('keeps journal entries whose append returned when the worker is killed right after', async () => {
    const path = file();
    await (await agentStore(path)).close();
    const module = new URL('../../src/agents/state/sqlite-agent-store.ts', import.meta.url).href;
    // The worker appends, tells the test, and is killed by it before it can do anything else.
    const worker = `
      const { openSqliteAgentStore } = await import(${JSON.stringify(module)});
      const store = await openSqliteAgentStore({ path: ${JSON.stringify(path)} });
      for (let seq = 0; seq < 50; seq++) {
        await store.appendJournal({ runId: 'run_1', stepId: 'agent' }, { seq, type: 'model', data: { seq } });
      }
      process.send('appended');
      setInterval(() => undefined, 1000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', worker], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    defer(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.once('exit', (code, signal) => resolve(signal ?? code)),
    );
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`the worker exited with ${code} before appending`)));
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const journal = await (await agentStore(path)).readJournal({ runId: 'run_1', stepId: 'agent' });
    expect(journal.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
