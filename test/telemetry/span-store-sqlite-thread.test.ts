/**
 * The SQLite span store writing on a worker thread: the conformance suite and the SQLite basics as
 * the in-thread store, then what only the thread shows (appends committed when they resolve, close
 * draining, a failing batch or a dying thread turned into typed errors).
 */
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { openSqliteAgentStore } from '../../src/agents/state/sqlite-agent-store.js';
import { spanStoreConformance } from '../../src/telemetry/spans/conformance.js';
import type { StoredSpan } from '../../src/telemetry/spans/port.js';
import { openSqliteSpanStore } from '../../src/telemetry/spans/sqlite-span-store.js';
import { openThreadedSqliteSpanStore } from '../../src/telemetry/spans/threaded-sqlite-span-store.js';
import { useSqliteFiles } from '../sqlite.js';
import { sqliteAdapterBasics, sqliteConformance } from '../sqlite-adapter.js';

const openThreaded = (options: { path: string }) => openSqliteSpanStore({ ...options, thread: true });

sqliteConformance(spanStoreConformance, openThreaded, 'baton-spans-thread-');

const TRACE = 'c'.repeat(32);

function span(n: number, over: Partial<StoredSpan> = {}): StoredSpan {
  return {
    traceId: TRACE,
    spanId: n.toString(16).padStart(16, '0'),
    name: `span ${n}`,
    kind: 'internal',
    startTime: 1000 + n + 0.5,
    endTime: 1010 + n,
    status: { code: 'ok' },
    attributes: { 'baton.n': n, text: `"quoted" \\ ${'é'.repeat(n % 3)}` },
    runId: `run_${n % 4}`,
    ...over,
  };
}

describe('SQLite span store on a writer thread', () => {
  const files = useSqliteFiles('baton-spans-thread-');
  const { file, defer } = files;
  sqliteAdapterBasics(files, {
    open: openThreaded,
    prefix: 'telemetry_',
    alongside: (path) => openSqliteAgentStore({ path }),
    async exercise(store) {
      await store.appendSpans([span(1)]);
      expect(await store.listSpans({ traceId: TRACE })).toEqual([span(1)]);
    },
  });

  async function open(path = file(), onWriterExit = vi.fn()) {
    const store = await openThreadedSqliteSpanStore({ path, onWriterExit });
    defer(() => store.close());
    return store;
  }

  it('has every batch committed when its append resolves, readable by another connection', async () => {
    const path = file();
    const store = await open(path);
    const batches = Array.from({ length: 20 }, (_, b) =>
      Array.from({ length: 50 }, (_, i) => span(b * 50 + i)),
    );
    await Promise.all(batches.map((batch) => store.appendSpans(batch)));
    expect(await store.listSpans({ traceId: TRACE })).toEqual(batches.flat());
    const plain = await openSqliteSpanStore({ path });
    defer(() => plain.close());
    expect(await plain.listSpans({ runId: 'run_3' })).toHaveLength(250);
  });

  it('drains on close: the appends made before it are written', async () => {
    const path = file();
    const store = await open(path);
    const appends = [store.appendSpans([span(1), span(2)]), store.appendSpans([span(3)])];
    await store.close();
    await Promise.all(appends);
    await expect(store.appendSpans([span(4)])).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    const plain = await openSqliteSpanStore({ path });
    defer(() => plain.close());
    expect(await plain.listSpans({ traceId: TRACE })).toHaveLength(3);
  });

  it('fails a batch the file refuses with STORE_UNAVAILABLE, and writes the next one', async () => {
    const path = file();
    const store = await openThreadedSqliteSpanStore({ path, busyTimeoutMs: 20 });
    defer(() => store.close());
    await store.appendSpans([span(1)]);
    const locker = new Database(path);
    locker.exec('BEGIN EXCLUSIVE');
    const refused = await store.appendSpans([span(2)]).catch((error: unknown) => error);
    locker.exec('ROLLBACK');
    locker.close();
    expect(refused).toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: expect.stringContaining(path),
      cause: expect.objectContaining({ code: 'SQLITE_BUSY' }),
    });
    await store.appendSpans([span(3)]);
    expect((await store.listSpans({ traceId: TRACE })).map((s) => s.name)).toEqual(['span 1', 'span 3']);
  });

  it('reports a thread that dies, and fails the appends pending and later with STORE_UNAVAILABLE', async () => {
    const path = file();
    const onWriterExit = vi.fn();
    // The thread reads its environment when it starts: it exits at its second batch, uncommitted.
    vi.stubEnv('BATON_FAULTS', 'span-writer.append:*:2');
    const store = await open(path, onWriterExit).finally(() => vi.unstubAllEnvs());
    await store.appendSpans([span(1)]);
    const lost = await store.appendSpans([span(2)]).catch((error: unknown) => error);
    expect(lost).toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: expect.stringContaining('exit code 70'),
    });
    expect(onWriterExit).toHaveBeenCalledTimes(1);
    expect(onWriterExit).toHaveBeenCalledWith(lost);
    await expect(store.appendSpans([span(3)])).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await expect(store.pruneBefore(0)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    // Reads are on the main thread: what was committed is still there.
    expect((await store.listSpans({ traceId: TRACE })).map((s) => s.name)).toEqual(['span 1']);
  });

  it('refuses an in-memory database, which a second connection cannot see', async () => {
    await expect(openThreadedSqliteSpanStore({ path: ':memory:' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
