/**
 * What both control-store adapters share for webhook subscriptions, deliveries and their attempts:
 * argument checks, ids, secrets and row mapping. No I/O besides the system's random source.
 * @module
 */
import { randomBytes } from 'node:crypto';
import {
  type AttemptOutcome,
  DEFAULT_LIST_LIMIT,
  type DeliveryClaim,
  type DeliveryQuery,
  epochMs,
  invalid,
  type NewDelivery,
  type NewWebhook,
  newControlId,
  nonEmpty,
  optionalNumber,
  positiveInteger,
  toJson,
} from './control-rows.js';
import type { Delivery, DeliveryAttempt, WebhookEvent, WebhookSubscription } from './port.js';

/** Every webhook event. */
export const WEBHOOK_EVENTS: readonly WebhookEvent[] = [
  'run.succeeded',
  'run.failed',
  'run.waiting',
  'approval.requested',
  'approval.decided',
];

const DELIVERY_STATUSES: readonly Delivery['status'][] = ['pending', 'succeeded', 'failed'];

/** A new signing secret: `whsec_` + 32 random bytes in base64url. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

function checkEvent(event: unknown, what: string): WebhookEvent {
  if (!WEBHOOK_EVENTS.includes(event as WebhookEvent)) {
    throw invalid(
      `${what}: unknown event ${JSON.stringify(event)}`,
      `Use one of ${WEBHOOK_EVENTS.join(', ')}`,
    );
  }
  return event as WebhookEvent;
}

/** An `http:` or `https:` URL, as `URL` spells it. */
function checkUrl(url: unknown): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(nonEmpty(url, 'url'));
  } catch {
    throw invalid(`url is not a URL: ${String(url)}`, 'Pass an absolute URL like https://example.com/hooks');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw invalid(`url must be http or https, got ${parsed.protocol}`, 'Pass an https:// URL');
  }
  return parsed.href;
}

/** The webhook table's columns, in the order of {@link newWebhookRow}'s values. */
export const WEBHOOK_COLUMNS = 'id, tenant, url, events, secret, description, created_at, deleted_at';

/** Checks a new subscription and draws its id and secret; `values` are in {@link WEBHOOK_COLUMNS} order. */
export function newWebhookRow(
  input: NewWebhook,
  createdAt: number,
): { webhook: WebhookSubscription; values: unknown[] } {
  const tenant = nonEmpty(input?.tenant, 'tenant');
  const url = checkUrl(input.url);
  if (!Array.isArray(input.events) || input.events.length === 0) {
    throw invalid(
      'events must be a non-empty array',
      `Subscribe to one or more of ${WEBHOOK_EVENTS.join(', ')}`,
    );
  }
  const events = [...new Set(input.events.map((e) => checkEvent(e, 'events')))];
  if (input.description !== undefined && typeof input.description !== 'string') {
    throw invalid('description must be a string', 'Describe the subscription in words, or leave it out');
  }
  const webhook: WebhookSubscription = {
    id: newControlId('wh', createdAt),
    tenant,
    url,
    events,
    secret: newWebhookSecret(),
    ...(input.description === undefined ? {} : { description: input.description }),
    createdAt,
  };
  const { id, secret, description } = webhook;
  return {
    webhook,
    values: [id, tenant, url, JSON.stringify(events), secret, description ?? null, createdAt, null],
  };
}

/** A webhook row, as either database returns it. */
export interface WebhookRow {
  id: string;
  tenant: string;
  url: string;
  events: string;
  secret: string;
  description: string | null;
  created_at: number | string;
  deleted_at: number | string | null;
}

/** A webhook row as the port's {@link WebhookSubscription}. */
export function toWebhook(row: WebhookRow): WebhookSubscription {
  const deletedAt = optionalNumber(row.deleted_at);
  return {
    id: row.id,
    tenant: row.tenant,
    url: row.url,
    events: JSON.parse(row.events) as WebhookEvent[],
    secret: row.secret,
    ...(row.description === null ? {} : { description: row.description }),
    createdAt: Number(row.created_at),
    ...(deletedAt === undefined ? {} : { deletedAt }),
  };
}

/** Checks a tenant and an id given to a tenant-scoped operation. */
export function checkOwned(tenant: string, id: string): void {
  nonEmpty(tenant, 'tenant');
  nonEmpty(id, 'id');
}

/** Checks an event given to `subscribersOf`. */
export function checkSubscribersOf(tenant: string, event: WebhookEvent): WebhookEvent {
  nonEmpty(tenant, 'tenant');
  return checkEvent(event, 'event');
}

/** The delivery table's columns, in the order of {@link newDeliveryRows}' values. */
export const DELIVERY_COLUMNS =
  'id, subscription_id, tenant, event, event_key, payload, status, attempts, next_attempt_at, created_at, last_attempt';

/** A new delivery's row values, in {@link DELIVERY_COLUMNS} order. */
export type DeliveryValues = [
  string,
  string,
  string,
  WebhookEvent,
  string,
  string,
  'pending',
  0,
  number,
  number,
  null,
];

/**
 * Checks deliveries to enqueue, all or none, as new pending rows due at `now`. A repeated
 * (subscription, eventKey) in the batch is kept once.
 */
export function newDeliveryRows(deliveries: NewDelivery[], now: number): DeliveryValues[] {
  if (!Array.isArray(deliveries)) throw invalid('deliveries must be an array', 'Pass an array of deliveries');
  const seen = new Set<string>();
  const rows: DeliveryValues[] = [];
  deliveries.forEach((d, i) => {
    const subscriptionId = nonEmpty(d?.subscriptionId, `deliveries[${i}].subscriptionId`);
    const tenant = nonEmpty(d.tenant, `deliveries[${i}].tenant`);
    const event = checkEvent(d.event, `deliveries[${i}].event`);
    const eventKey = nonEmpty(d.eventKey, `deliveries[${i}].eventKey`);
    const payload = toJson(d.payload, `deliveries[${i}].payload`);
    const unique = JSON.stringify([subscriptionId, eventKey]);
    if (seen.has(unique)) return;
    seen.add(unique);
    const id = newControlId('dlv', now);
    rows.push([id, subscriptionId, tenant, event, eventKey, payload, 'pending', 0, now, now, null]);
  });
  return rows;
}

/** A delivery row, as either database returns it. */
export interface DeliveryRow {
  id: string;
  subscription_id: string;
  tenant: string;
  event: WebhookEvent;
  event_key: string;
  payload: string;
  status: Delivery['status'];
  attempts: number | string;
  next_attempt_at: number | string | null;
  created_at: number | string;
  last_attempt: string | null;
}

/** A delivery row as the port's {@link Delivery}. */
export function toDelivery(row: DeliveryRow): Delivery {
  const nextAttemptAt = optionalNumber(row.next_attempt_at);
  return {
    id: row.id,
    subscriptionId: row.subscription_id,
    tenant: row.tenant,
    event: row.event,
    eventKey: row.event_key,
    payload: JSON.parse(row.payload),
    status: row.status,
    attempts: Number(row.attempts),
    ...(nextAttemptAt === undefined ? {} : { nextAttemptAt }),
    createdAt: Number(row.created_at),
    ...(row.last_attempt === null ? {} : { lastAttempt: JSON.parse(row.last_attempt) as DeliveryAttempt }),
  };
}

/** Checks a claim request. */
export function checkClaim(request: DeliveryClaim): {
  limit: number;
  now: number;
  leaseUntil: number;
} {
  const limit = positiveInteger(request?.limit, 1, 'limit');
  const leaseMs = positiveInteger(request.leaseMs, 1, 'leaseMs');
  const now = epochMs(request.now, 'now');
  return { limit, now, leaseUntil: now + leaseMs };
}

/** A checked attempt and outcome: the attempt as logged, the new status and when the next is due. */
export interface AttemptRecord {
  id: string;
  attempt: DeliveryAttempt;
  /** The attempt as the delivery's `last_attempt` column. */
  json: string;
  status: Delivery['status'];
  nextAttemptAt: number | null;
}

/** Checks what `recordAttempt` is given. */
export function checkAttempt(id: string, attempt: DeliveryAttempt, outcome: AttemptOutcome): AttemptRecord {
  nonEmpty(id, 'id');
  const at = epochMs(attempt?.at, 'attempt.at');
  if (attempt.status !== undefined && !Number.isSafeInteger(attempt.status)) {
    throw invalid(
      `attempt.status must be an HTTP status, got ${String(attempt.status)}`,
      'Pass the response status',
    );
  }
  if (attempt.error !== undefined && typeof attempt.error !== 'string') {
    throw invalid('attempt.error must be a string', 'Say why the attempt failed in words');
  }
  if (typeof attempt.durationMs !== 'number' || !(attempt.durationMs >= 0)) {
    throw invalid(
      `attempt.durationMs must be a number from 0, got ${String(attempt.durationMs)}`,
      'Pass the elapsed ms',
    );
  }
  if (!DELIVERY_STATUSES.includes(outcome?.status)) {
    throw invalid(
      `outcome.status: unknown status ${JSON.stringify(outcome?.status)}`,
      'Use succeeded, failed or pending',
    );
  }
  const logged: DeliveryAttempt = {
    at,
    ...(attempt.status === undefined ? {} : { status: attempt.status }),
    ...(attempt.error === undefined ? {} : { error: attempt.error }),
    durationMs: attempt.durationMs,
  };
  return {
    id,
    attempt: logged,
    json: JSON.stringify(logged),
    status: outcome.status,
    nextAttemptAt: outcome.status === 'pending' ? epochMs(outcome.retryAt, 'outcome.retryAt') : null,
  };
}

/** An attempt row, as either database returns it. */
export interface AttemptRow {
  at: number | string;
  status: number | null;
  error: string | null;
  duration_ms: number;
}

/** An attempt row as the port's {@link DeliveryAttempt}. */
export function toAttempt(row: AttemptRow): DeliveryAttempt {
  return {
    at: Number(row.at),
    ...(row.status === null ? {} : { status: row.status }),
    ...(row.error === null ? {} : { error: row.error }),
    durationMs: Number(row.duration_ms),
  };
}

/** The WHERE clause of a `listDeliveries` query and its values, the limit last. */
export function deliveryWhere(
  query: DeliveryQuery,
  param: (n: number) => string,
): { where: string; values: unknown[] } {
  const values: unknown[] = [nonEmpty(query?.tenant, 'tenant')];
  const clauses = [`tenant = ${param(1)}`];
  if (query.subscriptionId !== undefined) {
    values.push(nonEmpty(query.subscriptionId, 'subscriptionId'));
    clauses.push(`subscription_id = ${param(values.length)}`);
  }
  if (query.status !== undefined) {
    if (!DELIVERY_STATUSES.includes(query.status)) {
      throw invalid(
        `status: unknown status ${JSON.stringify(query.status)}`,
        'Use pending, succeeded or failed',
      );
    }
    values.push(query.status);
    clauses.push(`status = ${param(values.length)}`);
  }
  values.push(positiveInteger(query.limit, DEFAULT_LIST_LIMIT, 'limit'));
  return { where: `WHERE ${clauses.join(' AND ')}`, values };
}
