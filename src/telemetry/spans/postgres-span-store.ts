/**
 * The Postgres adapter of the {@link SpanStore} port, on `pg`. It shares the engine's database and
 * schema: its tables are prefixed `telemetry_`, its migrations tracked in `telemetry_migrations` and
 * applied under an advisory lock of their own. Every write is one statement (`unnest` arrays), hence
 * one transaction.
 * @module
 */
import {
  type PgPoolSource,
  PgQueries,
  type PgRunnerPool,
  pgAdapterConnection,
  quoteIdent,
} from '../../store/postgres/pg-queries.js';
import { POSTGRES_SPAN_MIGRATIONS } from './migrations.js';
import type { SpanQuery, SpanStore, SpanStoreOptions, StoredSpan } from './port.js';
import {
  queryFilter,
  SPAN_COLUMNS,
  type SpanRow,
  spanStoreClosed,
  spanValues,
  toStoredSpan,
} from './span-rows.js';

/** Options of the Postgres span store: a connection string (the store owns its pool) or a pool. */
export type PostgresSpanStoreOptions = SpanStoreOptions & {
  /** The schema of the store's tables, created when missing. @defaultValue the connections' `search_path` */
  schema?: string;
} & PgPoolSource;

const { openPool, unreachable } = pgAdapterConnection({
  adapter: 'telemetry',
  name: 'the span store',
  peers: 'workers',
  table: 'telemetry_migrations',
  migrations: POSTGRES_SPAN_MIGRATIONS,
});

/**
 * Opens (migrating when needed) a Postgres span store.
 * @example
 * const spans = await openPostgresSpanStore({ connectionString: process.env.BATON_DATABASE_URL! });
 */
export async function openPostgresSpanStore(options: PostgresSpanStoreOptions): Promise<SpanStore> {
  const { pool, owned } = await openPool(options, options.schema);
  return new PostgresSpanStore(pool, owned, options.schema);
}

const TYPES = [
  'text',
  'text',
  'text',
  'text',
  'text',
  'float8',
  'float8',
  'text',
  'text',
  'text',
  'text',
  'text',
];

class PostgresSpanStore implements SpanStore {
  private closed = false;
  private readonly spans: string;
  private readonly sql: PgQueries;

  constructor(
    private readonly pool: PgRunnerPool,
    private readonly ownsPool: boolean,
    schema: string | undefined,
  ) {
    this.sql = new PgQueries(pool, {
      isClosed: () => this.closed,
      closed: spanStoreClosed,
      unreachable,
    });
    this.spans = schema === undefined ? 'telemetry_spans' : `${quoteIdent(schema)}.telemetry_spans`;
  }

  async appendSpans(spans: readonly StoredSpan[]): Promise<void> {
    if (this.closed) throw spanStoreClosed();
    if (spans.length === 0) return;
    // The last of two spans with the same ids wins, as a replaced row would: ON CONFLICT cannot touch a row twice.
    const unique = new Map<string, unknown[]>();
    for (const span of spans) unique.set(`${span.traceId}:${span.spanId}`, spanValues(span));
    const columns: unknown[][] = TYPES.map(() => []);
    for (const values of unique.values()) {
      for (const [i, v] of values.entries()) columns[i]?.push(v);
    }
    const params = TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
    const updates = SPAN_COLUMNS.split(', ')
      .slice(2)
      .map((c) => `${c} = EXCLUDED.${c}`)
      .join(', ');
    // Retried safely: writing the same spans again leaves the same rows.
    await this.sql.query(
      `INSERT INTO ${this.spans} (${SPAN_COLUMNS}) SELECT * FROM unnest(${params})
       ON CONFLICT (trace_id, span_id) DO UPDATE SET ${updates}`,
      columns,
    );
  }

  async listSpans(query: SpanQuery): Promise<StoredSpan[]> {
    if (this.closed) throw spanStoreClosed();
    const { column, value } = queryFilter(query);
    const rows = await this.sql.query<SpanRow>(
      `SELECT ${SPAN_COLUMNS} FROM ${this.spans} WHERE ${column} = $1 ORDER BY start_time, span_id COLLATE "C"`,
      [value],
    );
    return rows.map(toStoredSpan);
  }

  async pruneBefore(before: number): Promise<number> {
    if (this.closed) throw spanStoreClosed();
    const rows = await this.sql.query<{ n: number }>(
      `WITH gone AS (DELETE FROM ${this.spans} WHERE end_time < $1 RETURNING 1) SELECT count(*)::int AS n FROM gone`,
      [before],
    );
    return rows[0]?.n ?? 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsPool) await this.pool.end();
  }
}
