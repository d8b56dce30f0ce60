/**
 * The reader thread of the SQLite metrics source (`sqlite-source.ts`): it owns a read-only connection
 * to the engine's file and runs the scrape's aggregate statements, so that better-sqlite3, which runs
 * every statement on its calling thread, never blocks the engine's event loop for a scrape.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** A request of the main thread. */
export type ReaderRequest =
  | { id: number; op: 'all'; sql: string; params: unknown[] }
  | { id: number; op: 'close' };
/** The thread's answer to the request with the same id. */
export type ReaderReply = { id: number; rows: Record<string, unknown>[] } | { id: number; error: string };

const port = parentPort;
if (!port) throw new Error('sqlite-reader-thread runs as a worker thread of the SQLite metrics source');
const { path } = workerData as { path: string };
const db = new Database(path, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
const statements = new Map<string, Database.Statement>();

port.on('message', (request: ReaderRequest) => {
  if (request.op === 'close') {
    db.close();
    port.postMessage({ id: request.id, rows: [] } satisfies ReaderReply);
    port.close();
    return;
  }
  try {
    let statement = statements.get(request.sql);
    if (!statement) {
      statement = db.prepare(request.sql);
      statements.set(request.sql, statement);
    }
    const rows = statement.all(...request.params) as Record<string, unknown>[];
    port.postMessage({ id: request.id, rows } satisfies ReaderReply);
  } catch (error) {
    port.postMessage({ id: request.id, error: (error as Error).message } satisfies ReaderReply);
  }
});
