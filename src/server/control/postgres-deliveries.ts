/**
 * Webhook deliveries in the Postgres control store: enqueueing (once per subscription and event key),
 * leasing with `FOR UPDATE SKIP LOCKED`, logging attempts and redelivering. The store delegates to it.
 * @module
 */
import type { PgQueries } from '../../store/postgres/pg-queries.js';
import {
  type AttemptOutcome,
  type DeliveryClaim,
  type DeliveryQuery,
  epochMs,
  type NewDelivery,
} from './control-rows.js';
import type { Delivery, DeliveryAttempt } from './port.js';
import {
  type AttemptRow,
  checkAttempt,
  checkClaim,
  checkOwned,
  DELIVERY_COLUMNS,
  type DeliveryRow,
  deliveryWhere,
  newDeliveryRows,
  toAttempt,
  toDelivery,
} from './webhook-rows.js';

/** `columns` prefixed with a table alias, for a RETURNING beside a joined table. */
export const qualified = (columns: string, alias: string) =>
  columns
    .split(', ')
    .map((c) => `${alias}.${c}`)
    .join(', ');

/** The delivery operations of the Postgres control store, on its statement runner and tables. */
export class PostgresDeliveries {
  constructor(
    private readonly sql: PgQueries,
    private readonly deliveries: string,
    private readonly attempts: string,
    private readonly now: () => number,
  ) {}

  async enqueueDeliveries(deliveries: NewDelivery[]): Promise<number> {
    // An empty batch runs too: the statement is what fails on a closed store.
    const now = this.now();
    const rows = newDeliveryRows(deliveries, now);
    const column = (i: number) => rows.map((r) => r[i]);
    // Retried: the rows are the same after a retry, though its count then leaves out what the lost try added.
    const added = await this.sql.query(
      `INSERT INTO ${this.deliveries} (${DELIVERY_COLUMNS})
       SELECT id, subscription_id, tenant, event, event_key, payload, 'pending', 0, $7::bigint, $7::bigint, NULL
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
         AS t(id, subscription_id, tenant, event, event_key, payload)
       ON CONFLICT (subscription_id, event_key) DO NOTHING RETURNING id`,
      [...[0, 1, 2, 3, 4, 5].map(column), now],
    );
    return added.length;
  }

  async claimDeliveries(request: DeliveryClaim): Promise<Delivery[]> {
    const { limit, now, leaseUntil } = checkClaim(request);
    // SKIP LOCKED: a server claiming at the same time passes over these rows instead of waiting for them.
    const rows = await this.sql.query<DeliveryRow & { due_at: string }>(
      `WITH due AS (
         SELECT id, next_attempt_at AS due_at FROM ${this.deliveries}
         WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2
         FOR UPDATE SKIP LOCKED
       )
       UPDATE ${this.deliveries} d SET next_attempt_at = $3 FROM due WHERE d.id = due.id
       RETURNING ${qualified(DELIVERY_COLUMNS, 'd')}, due.due_at`,
      [now, limit, leaseUntil],
    );
    rows.sort((a, b) => Number(a.due_at) - Number(b.due_at) || (a.id < b.id ? -1 : 1));
    return rows.map(toDelivery);
  }

  async recordAttempt(id: string, attempt: DeliveryAttempt, outcome: AttemptOutcome): Promise<void> {
    const r = checkAttempt(id, attempt, outcome);
    const a = r.attempt;
    // Not retried: a retry after a lost acknowledgement would count and log the attempt twice.
    await this.sql.once(
      `WITH d AS (
         UPDATE ${this.deliveries} SET status = $2, attempts = attempts + 1, next_attempt_at = $3, last_attempt = $4
         WHERE id = $1 RETURNING attempts
       )
       INSERT INTO ${this.attempts} (delivery_id, n, at, status, error, duration_ms)
       SELECT $1, attempts, $5, $6, $7, $8 FROM d`,
      [r.id, r.status, r.nextAttemptAt, r.json, a.at, a.status ?? null, a.error ?? null, a.durationMs],
      `The attempt at delivery ${r.id} may or may not have been recorded`,
    );
  }

  async listDeliveries(query: DeliveryQuery): Promise<Delivery[]> {
    const { where, values } = deliveryWhere(query, (n) => `$${n}`);
    const rows = await this.sql.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM ${this.deliveries} ${where} ORDER BY id DESC LIMIT $${values.length}`,
      values,
    );
    return rows.map(toDelivery);
  }

  async deliveryAttempts(tenant: string, id: string): Promise<DeliveryAttempt[]> {
    checkOwned(tenant, id);
    const rows = await this.sql.query<AttemptRow>(
      `SELECT a.at, a.status, a.error, a.duration_ms FROM ${this.attempts} a
       JOIN ${this.deliveries} d ON d.id = a.delivery_id WHERE d.tenant = $1 AND d.id = $2 ORDER BY a.n`,
      [tenant, id],
    );
    return rows.map(toAttempt);
  }

  async redeliver(tenant: string, id: string, now: number): Promise<Delivery | undefined> {
    checkOwned(tenant, id);
    const [row] = await this.sql.query<DeliveryRow>(
      `UPDATE ${this.deliveries} SET status = 'pending', next_attempt_at = $1 WHERE tenant = $2 AND id = $3
       RETURNING ${DELIVERY_COLUMNS}`,
      [epochMs(now, 'now'), tenant, id],
    );
    return row ? toDelivery(row) : undefined;
  }
}
