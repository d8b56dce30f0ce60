/**
 * A worker process for the trace takeover test: `trace-crash-worker.ts <dataDir> <upstream url>`. It
 * runs the `chatty` agent workflow with tracing on, spans kept in the engine's SQLite file.
 */
import { join } from 'node:path';
import { Baton } from '../../src/runtime/baton.js';
import { openSqliteSpanStore } from '../../src/telemetry/spans/sqlite-span-store.js';
import { createTracing } from '../../src/telemetry/tracing/tracing.js';
import { startChattyWorker } from '../agents/chatty-agent.js';
import { serveUntilSigterm } from '../crash/worker-process.js';

const [dataDir, upstream] = process.argv.slice(2) as [string, string];
const spans = await openSqliteSpanStore({ path: join(dataDir, 'baton.db') });
const tracing = createTracing({ spanStore: spans, flushIntervalMs: 10 });
const baton = await Baton.open({ dataDir, durability: 'full', tracing });
const chatty = await startChattyWorker(baton, { dataDir, upstream, tracing });
serveUntilSigterm(chatty.worker, [
  () => baton.close(),
  chatty.close,
  () => tracing.shutdown(),
  () => spans.close(),
]);
