/**
 * The Postgres {@link AlertStateStore}: each transition is one statement (the compare-and-set and the
 * history row together), so servers sharing the database notify once per change.
 * @module
 */
import {
  type PgPoolSource,
  PgQueries,
  type PgRunnerPool,
  pgAdapterConnection,
  quoteIdent,
} from '../../store/postgres/pg-queries.js';
import {
  ALERT_COLUMNS,
  type AlertEvent,
  type AlertRow,
  type AlertState,
  type AlertStateStore,
  type AlertTransition,
  alertStateClosed,
  alertValues,
  eventLimit,
  toAlertEvent,
  toAlertState,
} from './state-port.js';

/** Numbered, append-only migrations (run with `search_path` set to the schema); never edit one. */
const MIGRATIONS: readonly string[] = [
  /* sql */ `
CREATE TABLE telemetry_alerts (
  key text PRIMARY KEY,
  rule_id text NOT NULL,
  tenant text NOT NULL,
  subject text NOT NULL,
  status text NOT NULL,
  since bigint NOT NULL,
  value double precision NOT NULL,
  threshold double precision NOT NULL,
  example_runs text NOT NULL
);
CREATE TABLE telemetry_alert_events (
  seq bigserial PRIMARY KEY,
  key text NOT NULL,
  rule_id text NOT NULL,
  tenant text NOT NULL,
  subject text NOT NULL,
  status text NOT NULL,
  since bigint NOT NULL,
  value double precision NOT NULL,
  threshold double precision NOT NULL,
  example_runs text NOT NULL
);
CREATE INDEX telemetry_alert_events_tenant ON telemetry_alert_events (tenant, seq);
`,
];

const { openPool, unreachable } = pgAdapterConnection({
  adapter: 'alerts',
  name: 'the alert state',
  peers: 'servers',
  table: 'telemetry_alert_migrations',
  migrations: MIGRATIONS,
});

/** Options of the Postgres alert state: a connection string (it owns its pool) or a pool, and a schema. */
export type PostgresAlertStateOptions = PgPoolSource & { schema?: string };

/** Opens (migrating when needed) the Postgres alert state. */
export async function openPostgresAlertState(options: PostgresAlertStateOptions): Promise<AlertStateStore> {
  const { pool, owned } = await openPool(options, options.schema);
  return new PostgresAlertState(pool, owned, options.schema);
}

class PostgresAlertState implements AlertStateStore {
  private closed = false;
  private readonly sql: PgQueries;
  private readonly states: string;
  private readonly events: string;

  constructor(
    private readonly pool: PgRunnerPool,
    private readonly ownsPool: boolean,
    schema: string | undefined,
  ) {
    this.sql = new PgQueries(pool, { isClosed: () => this.closed, closed: alertStateClosed, unreachable });
    const table = (name: string) => (schema === undefined ? name : `${quoteIdent(schema)}.${name}`);
    this.states = table('telemetry_alerts');
    this.events = table('telemetry_alert_events');
  }

  async listStates(filter: { tenant?: string } = {}): Promise<AlertState[]> {
    const rows = await this.sql.query<AlertRow>(
      `SELECT ${ALERT_COLUMNS} FROM ${this.states} ${filter.tenant === undefined ? '' : 'WHERE tenant = $1'} ORDER BY key COLLATE "C"`,
      filter.tenant === undefined ? [] : [filter.tenant],
    );
    return rows.map(toAlertState);
  }

  async transition(change: AlertTransition): Promise<boolean> {
    const values = alertValues(change.to);
    const params = '$1, $2, $3, $4, $5, $6, $7, $8, $9';
    const moved =
      change.from === undefined
        ? `INSERT INTO ${this.states} (${ALERT_COLUMNS}) VALUES (${params}) ON CONFLICT (key) DO NOTHING RETURNING 1`
        : `UPDATE ${this.states} SET rule_id = $2, tenant = $3, subject = $4, status = $5, since = $6, value = $7,
             threshold = $8, example_runs = $9 WHERE key = $1 AND status = $10 RETURNING 1`;
    // One statement: the compare-and-set and its history row commit together or not at all.
    const rows = await this.sql.once<{ n: number }>(
      `WITH moved AS (${moved})
       INSERT INTO ${this.events} (${ALERT_COLUMNS}) SELECT ${params} FROM moved RETURNING 1 AS n`,
      change.from === undefined ? values : [...values, change.from],
      'The alert may have changed state; the next evaluation reads it again',
    );
    return rows.length > 0;
  }

  async listEvents(filter: { tenant?: string; limit?: number } = {}): Promise<AlertEvent[]> {
    const limit = eventLimit(filter.limit);
    const rows = await this.sql.query<AlertRow>(
      filter.tenant === undefined
        ? `SELECT seq, ${ALERT_COLUMNS} FROM ${this.events} ORDER BY seq DESC LIMIT $1`
        : `SELECT seq, ${ALERT_COLUMNS} FROM ${this.events} WHERE tenant = $2 ORDER BY seq DESC LIMIT $1`,
      filter.tenant === undefined ? [limit] : [limit, filter.tenant],
    );
    return rows.map(toAlertEvent);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsPool) await this.pool.end();
  }
}
