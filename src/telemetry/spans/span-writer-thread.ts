/**
 * The writer thread of the threaded SQLite span store (`threaded-sqlite-span-store.ts`): it owns the
 * file's write connection, so that span inserts never run on the engine's event loop. It answers
 * each request of the main thread in order, one transaction per batch.
 *
 * Fault point, for the tests of a thread that dies: `BATON_FAULTS=span-writer.append:*:n` makes the
 * thread exit at its n-th batch, before committing it.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteFile } from '../../store/sqlite/open-sqlite-file.js';
import { SQLITE_SPAN_MIGRATIONS } from './migrations.js';
import { ATTRIBUTES_INDEX, SPAN_COLUMNS } from './span-rows.js';
import {
  type SpanWriterReply,
  type SpanWriterRequest,
  type SpanWriterSetup,
  toWireError,
} from './span-writer-protocol.js';

const port = parentPort;
if (!port) throw new Error('span-writer-thread runs as a worker thread of the threaded SQLite span store');
const setup = workerData as SpanWriterSetup;
const exitAt = faultAt(process.env.BATON_FAULTS, 'span-writer.append');
let appends = 0;

const reply = (message: SpanWriterReply) => port.postMessage(message);

try {
  // The main thread migrated the file already; this only opens it as every adapter does.
  const db = openSqliteFile(
    { path: setup.path, busyTimeoutMs: setup.busyTimeoutMs },
    {
      synchronous: 'NORMAL',
      table: 'telemetry_migrations',
      migrations: SQLITE_SPAN_MIGRATIONS,
      name: 'the span store',
    },
  );
  const insert = db.prepare(
    `INSERT OR REPLACE INTO telemetry_spans (${SPAN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const prune = db.prepare('DELETE FROM telemetry_spans WHERE end_time < ?');
  const write = db.transaction((rows: unknown[][]) => {
    for (const row of rows) {
      // Attributes come as JSON values inside the batch's JSON: stringified here, off the main thread.
      row[ATTRIBUTES_INDEX] = JSON.stringify(row[ATTRIBUTES_INDEX] ?? {});
      insert.run(...row);
    }
  });

  port.on('message', (request: SpanWriterRequest) => {
    if (request.op === 'close') {
      db.close();
      reply({ id: request.id, value: 0 });
      port.close();
      return;
    }
    try {
      if (request.op === 'append') {
        appends++;
        if (appends === exitAt) process.exit(70);
        write(JSON.parse(request.rows) as unknown[][]);
        reply({ id: request.id, value: 0 });
      } else {
        reply({ id: request.id, value: Number(prune.run(request.before).changes) });
      }
    } catch (error) {
      reply({ id: request.id, error: toWireError(error) });
    }
  });
  reply({ id: 0, value: 0 });
} catch (error) {
  // Opening failed: the main thread rejects its open with this error; the thread then ends.
  reply({ id: 0, error: toWireError(error) });
  port.close();
}

function faultAt(spec: string | undefined, point: string): number | undefined {
  for (const part of (spec ?? '').split(',')) {
    const [name, , n = '1'] = part.trim().split(':');
    if (name === point) return Number(n);
  }
  return undefined;
}
