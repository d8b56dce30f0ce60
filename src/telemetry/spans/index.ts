/**
 * The span store: port, adapters and conformance suite.
 * @module
 */
export type {
  SpanQuery,
  SpanStatus,
  SpanStore,
  SpanStoreOptions,
  StoredSpan,
  StoredSpanKind,
} from './port.js';
export { openPostgresSpanStore, type PostgresSpanStoreOptions } from './postgres-span-store.js';
export { openSqliteSpanStore, type SqliteSpanStoreOptions } from './sqlite-span-store.js';
export {
  openThreadedSqliteSpanStore,
  type ThreadedSqliteSpanStoreOptions,
} from './threaded-sqlite-span-store.js';
