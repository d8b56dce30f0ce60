/**
 * The SQLite agent store: the conformance suite and the basics of every SQLite adapter (see
 * `test/sqlite-adapter.ts`), plus what only it shows: the embedding BLOBs, and a journal that survives
 * a SIGKILL of the worker right after append returned.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentStoreConformance } from '../../src/agents/state/conformance.js';
import { openSqliteAgentStore } from '../../src/agents/state/sqlite-agent-store.js';
import { openSqliteLedger } from '../../src/gateway/ledger/sqlite-ledger.js';
import { readSqlite, useSqliteFiles } from '../sqlite.js';
import { sqliteAdapterBasics, sqliteConformance, sqliteOpener } from '../sqlite-adapter.js';

sqliteConformance(agentStoreConformance, openSqliteAgentStore, 'baton-agents-');

describe('SQLite agent store', () => {
  const files = useSqliteFiles('baton-agents-', join('.baton', 'baton.db'));
  const { file, defer } = files;
  const agentStore = sqliteOpener(files, openSqliteAgentStore);

  sqliteAdapterBasics(files, {
    open: openSqliteAgentStore,
    prefix: 'agent_',
    alongside: (path) => openSqliteLedger({ path }),
    async exercise(store) {
      await store.writeRunMemory('run_1', { k: 1 });
      expect(await store.readRunMemory('run_1')).toEqual({ k: 1 });
    },
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
