/**
 * The SQLite adapter of the {@link MetricsSource}: a second, read-only connection to the engine's
 * file, so a scrape never waits behind (or holds up) the engine's group commits. WAL mode lets it read
 * while the engine writes. The connection lives on a thread of its own (`sqlite-reader-thread.ts`):
 * better-sqlite3 runs a statement on its calling thread, and a scrape's aggregates over the last
 * minutes of a busy engine would otherwise stop the engine's event loop while they run.
 * @module
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { BatonError } from '../../core/errors.js';
import { threadEntry } from '../thread-entry.js';
import type { MetricsSource } from './source.js';
import { SqlMetricsSource } from './sql-source.js';
import type { ReaderReply, ReaderRequest } from './sqlite-reader-thread.js';

type Pending = { resolve: (rows: Record<string, unknown>[]) => void; reject: (error: Error) => void };

/**
 * Opens a read-only metrics source on the SQLite file at `path` (the engine's `baton.db`).
 * @throws BatonError `INVALID_ARGUMENT` when the file does not exist (`:memory:` databases cannot be shared)
 */
export function openSqliteMetricsSource(path: string): MetricsSource {
  if (!existsSync(path)) {
    throw new BatonError(
      'INVALID_ARGUMENT',
      `the metrics source needs the engine's SQLite file; ${path} does not exist`,
      {
        hint: 'Open the engine on a file (not :memory:) before the metrics exporter',
      },
    );
  }
  const openedAtHead = historyHeadNow(path);
  const { entry, eval: evaluate } = threadEntry(import.meta.url, 'sqlite-reader-thread');
  const worker = new Worker(entry, { workerData: { path }, eval: evaluate });
  worker.unref();
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let ended: Error | undefined;
  worker.on('message', (reply: ReaderReply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if ('error' in reply) p.reject(new Error(reply.error));
    else p.resolve(reply.rows);
  });
  const fail = (error: Error) => {
    ended ??= error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  worker.on('error', fail);
  worker.on('exit', () => fail(new BatonError('STORE_UNAVAILABLE', 'the metrics reader thread has stopped')));
  const send = (
    request: { op: 'all'; sql: string; params: unknown[] } | { op: 'close' },
  ): Promise<Record<string, unknown>[]> => {
    if (ended) return Promise.reject(ended);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      // Referenced while a request waits, so a scrape in flight keeps the process alive to its answer.
      worker.ref();
      worker.postMessage({ ...request, id } as ReaderRequest);
    }).finally(() => {
      if (pending.size === 0) worker.unref();
    }) as Promise<Record<string, unknown>[]>;
  };
  let closed: Promise<void> | undefined;
  return new SqlMetricsSource({
    ...(openedAtHead === undefined ? {} : { openedAtHead }),
    all: (sql, params) => send({ op: 'all', sql, params: [...params] }),
    table: (name) => name,
    jsonText: (column, field) => `json_extract(${column}, '$.${field}')`,
    hasTable: async (name) =>
      (
        await send({
          op: 'all',
          sql: `SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`,
          params: [name],
        })
      ).length > 0,
    close: () => {
      closed ??= (async () => {
        if (!ended) await send({ op: 'close' }).catch(() => {});
        await worker.terminate();
      })();
      return closed;
    },
  });
}

/** The engine's history head now, read on this thread once (the reader thread takes a while to start). */
function historyHeadNow(path: string): number | undefined {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT max(seq) AS head FROM history').get() as
      | { head: number | null }
      | undefined;
    return Number(row?.head ?? 0);
  } catch {
    // No history table yet: the thread's first read finds out.
    return undefined;
  } finally {
    db.close();
  }
}
