/**
 * The SQLite {@link AlertStateStore}: two tables in the engine's file (or any other).
 * @module
 */
import { openSqliteFile, type SqliteFile } from '../../store/sqlite/open-sqlite-file.js';
import type { SqliteDatabase } from '../../store/sqlite/sqlite-driver.js';
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

/** Numbered, append-only migrations; never edit one, add the next. */
const MIGRATIONS: readonly string[] = [
  /* sql */ `
CREATE TABLE telemetry_alerts (
  key TEXT PRIMARY KEY,
  rule_id TEXT NOT NULL,
  tenant TEXT NOT NULL,
  subject TEXT NOT NULL,
  status TEXT NOT NULL,
  since INTEGER NOT NULL,
  value REAL NOT NULL,
  threshold REAL NOT NULL,
  example_runs TEXT NOT NULL
);
CREATE TABLE telemetry_alert_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  tenant TEXT NOT NULL,
  subject TEXT NOT NULL,
  status TEXT NOT NULL,
  since INTEGER NOT NULL,
  value REAL NOT NULL,
  threshold REAL NOT NULL,
  example_runs TEXT NOT NULL
);
CREATE INDEX telemetry_alert_events_tenant ON telemetry_alert_events (tenant, seq);
`,
];

/**
 * Opens (creating and migrating when needed) the SQLite alert state.
 * @example
 * const state = openSqliteAlertState({ path: '.baton/baton.db' });
 */
export function openSqliteAlertState(file: SqliteFile): AlertStateStore {
  const db = openSqliteFile(file, {
    synchronous: 'NORMAL',
    table: 'telemetry_alert_migrations',
    migrations: MIGRATIONS,
    name: 'the alert state',
  });
  return new SqliteAlertState(db);
}

class SqliteAlertState implements AlertStateStore {
  private closed = false;
  private readonly transitionTx;

  constructor(private readonly db: SqliteDatabase) {
    const insert = db.prepare(
      `INSERT INTO telemetry_alerts (${ALERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
    );
    const update = db.prepare(
      `UPDATE telemetry_alerts SET rule_id = ?, tenant = ?, subject = ?, status = ?, since = ?, value = ?,
         threshold = ?, example_runs = ? WHERE key = ? AND status = ?`,
    );
    const log = db.prepare(
      `INSERT INTO telemetry_alert_events (${ALERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.transitionTx = db.transaction((change: AlertTransition): boolean => {
      const values = alertValues(change.to);
      const changed =
        change.from === undefined
          ? insert.run(...values).changes
          : update.run(...values.slice(1), change.to.key, change.from).changes;
      if (changed === 0) return false;
      log.run(...values);
      return true;
    });
  }

  private open(): SqliteDatabase {
    if (this.closed) throw alertStateClosed();
    return this.db;
  }

  async listStates(filter: { tenant?: string } = {}): Promise<AlertState[]> {
    const db = this.open();
    const rows = (
      filter.tenant === undefined
        ? db.prepare(`SELECT ${ALERT_COLUMNS} FROM telemetry_alerts ORDER BY key`).all()
        : db
            .prepare(`SELECT ${ALERT_COLUMNS} FROM telemetry_alerts WHERE tenant = ? ORDER BY key`)
            .all(filter.tenant)
    ) as AlertRow[];
    return rows.map(toAlertState);
  }

  async transition(change: AlertTransition): Promise<boolean> {
    this.open();
    // IMMEDIATE: the write lock before the compare, so two processes cannot both see the old status.
    return this.transitionTx.immediate(change);
  }

  async listEvents(filter: { tenant?: string; limit?: number } = {}): Promise<AlertEvent[]> {
    const db = this.open();
    const limit = eventLimit(filter.limit);
    const rows = (
      filter.tenant === undefined
        ? db
            .prepare(`SELECT seq, ${ALERT_COLUMNS} FROM telemetry_alert_events ORDER BY seq DESC LIMIT ?`)
            .all(limit)
        : db
            .prepare(
              `SELECT seq, ${ALERT_COLUMNS} FROM telemetry_alert_events WHERE tenant = ? ORDER BY seq DESC LIMIT ?`,
            )
            .all(filter.tenant, limit)
    ) as AlertRow[];
    return rows.map(toAlertEvent);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
