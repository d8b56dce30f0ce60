/**
 * The `ControlStore` port: what the API server keeps besides runs. That means API keys with roles, the
 * audit log, webhook subscriptions and their deliveries, triggers, and the cursor of the event feed.
 * Everything is expressed as domain operations: no connection, transaction or row type crosses it.
 *
 * Glossary:
 * - **API key**: `bk_<id>_<secret>`, owned by a tenant and holding roles. Only the SHA-256 of the
 *   secret is stored. The secret is shown once, by {@link ControlStore.createKey}.
 * - **Role**: `admin` (everything in its tenant), `developer` (workflows, runs), `operator` (runs,
 *   cancel, rerun), `approver` (approvals), `viewer` (read only).
 * - **Delivery**: one webhook event for one subscription. It is created once per (subscription,
 *   event), then attempted until it succeeds or runs out of attempts. Each attempt is logged.
 * - **Trigger**: it starts a workflow on a cron schedule, or when an event of a given type arrives.
 *
 * Adapters: `sqlite-control-store.ts` and `postgres-control-store.ts`. Both must pass the conformance
 * suite in `conformance.ts`. Tables are prefixed `control_`, and migrations are tracked in
 * `control_migrations`.
 * @module
 */

/** The roles of the API. */
export type Role = 'admin' | 'developer' | 'operator' | 'approver' | 'viewer';

/** Every role, most powerful first. */
export const ROLES: readonly Role[] = ['admin', 'developer', 'operator', 'approver', 'viewer'];

/** An API key, without its secret. */
export interface ApiKey {
  /** The 8-character id embedded in the secret. */
  id: string;
  /** `bk_<id>`: safe to show and log. */
  prefix: string;
  tenant: string;
  name: string;
  roles: Role[];
  createdAt: number;
  revokedAt?: number;
  expiresAt?: number;
  /** Set (coarsely, at most once a minute) when the key authenticates. */
  lastUsedAt?: number;
}

/** A key just created: the only time its secret is available. */
export interface CreatedApiKey {
  key: ApiKey;
  secret: string;
}

/** One audited action: a mutating API call or a decision. */
export interface AuditEntry {
  /** Store-assigned, time-ordered. */
  id: string;
  at: number;
  tenant: string;
  /** The key that acted (its id), or `system` for the scheduler and SLA escalations. */
  actor: string;
  /** `run.submit`, `run.cancel`, `approval.decide`, `key.create`, `webhook.create`, ... */
  action: string;
  /** What it acted on: a run id, `run/step`, a key id, a webhook id... */
  target: string;
  /** The request's relevant fields (secrets never). */
  details: Record<string, unknown>;
}

/** Filters for {@link ControlStore.listAudit}, newest first. */
export interface AuditQuery {
  tenant: string;
  action?: string;
  actor?: string;
  target?: string;
  /** Entries strictly older than this id (the previous page's last). */
  cursor?: string;
  /** @defaultValue 50 */
  limit?: number;
}

/** The webhook events. */
export type WebhookEvent =
  | 'run.succeeded'
  | 'run.failed'
  | 'run.waiting'
  | 'approval.requested'
  | 'approval.decided';

/** A tenant's webhook subscription. */
export interface WebhookSubscription {
  id: string;
  tenant: string;
  url: string;
  events: WebhookEvent[];
  /** The HMAC-SHA256 signing secret (`whsec_...`); the API shows it once, in the create response. */
  secret: string;
  description?: string;
  createdAt: number;
  /** Deleted subscriptions keep their delivery log but receive nothing. */
  deletedAt?: number;
}

/** One event to deliver to one subscription. */
export interface Delivery {
  id: string;
  subscriptionId: string;
  tenant: string;
  event: WebhookEvent;
  /** What makes it unique per subscription (`<run id>:<history seq>:<event>`): enqueueing twice is a no-op. */
  eventKey: string;
  payload: unknown;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  /** When the next attempt is due (pending deliveries). */
  nextAttemptAt?: number;
  createdAt: number;
  lastAttempt?: DeliveryAttempt;
}

/** One attempt at a delivery, as logged. */
export interface DeliveryAttempt {
  at: number;
  /** The receiver's HTTP status; absent when no response came. */
  status?: number;
  /** Why it failed (timeout, connection refused, non-2xx). */
  error?: string;
  durationMs: number;
}

/** A trigger. */
export interface Trigger {
  id: string;
  tenant: string;
  /** Starts this workflow (its latest version). */
  workflow: string;
  type: 'cron' | 'event';
  /** Cron expression (5 or 6 fields), for `cron` triggers. */
  schedule?: string;
  /** IANA time zone of the schedule. @defaultValue 'UTC' */
  timezone?: string;
  /** Event key prefix that fires it, for `event` triggers (`invoice.received`). */
  eventType?: string;
  /** Input of the runs it starts; an event trigger merges the event's payload under `event`. */
  input: unknown;
  enabled: boolean;
  createdAt: number;
  /** Next due fire time of a cron trigger (epoch ms). */
  nextFireAt?: number;
  lastFiredAt?: number;
}

/** The API server's storage port. */
export interface ControlStore {
  createKey(input: {
    tenant: string;
    name: string;
    roles: Role[];
    expiresAt?: number;
  }): Promise<CreatedApiKey>;
  /** The key a secret belongs to; undefined when malformed, unknown, wrong, revoked or expired. */
  findKeyBySecret(secret: string): Promise<ApiKey | undefined>;
  listKeys(filter?: { tenant?: string }): Promise<ApiKey[]>;
  /** Revokes for good; undefined when the tenant has no such key. */
  revokeKey(tenant: string, id: string): Promise<ApiKey | undefined>;
  /** True when no key exists at all (the first start creates an admin key). */
  hasNoKeys(): Promise<boolean>;

  appendAudit(entry: Omit<AuditEntry, 'id'>): Promise<AuditEntry>;
  listAudit(query: AuditQuery): Promise<AuditEntry[]>;

  createWebhook(input: {
    tenant: string;
    url: string;
    events: WebhookEvent[];
    description?: string;
  }): Promise<WebhookSubscription>;
  listWebhooks(tenant: string): Promise<WebhookSubscription[]>;
  getWebhook(tenant: string, id: string): Promise<WebhookSubscription | undefined>;
  deleteWebhook(tenant: string, id: string): Promise<boolean>;
  /** Live subscriptions of a tenant that want `event`. */
  subscribersOf(tenant: string, event: WebhookEvent): Promise<WebhookSubscription[]>;
  /** Creates deliveries; one that already exists for its (subscription, eventKey) is left as it is. */
  enqueueDeliveries(
    deliveries: {
      subscriptionId: string;
      tenant: string;
      event: WebhookEvent;
      eventKey: string;
      payload: unknown;
    }[],
  ): Promise<number>;
  /**
   * Leases up to `limit` pending deliveries due at `now`, pushing their `nextAttemptAt` to `now +
   * leaseMs` so that another dispatcher does not take them meanwhile.
   */
  claimDeliveries(request: { limit: number; leaseMs: number; now: number }): Promise<Delivery[]>;
  /** Logs an attempt and sets the outcome: succeeded, failed for good, or pending until `retryAt`. */
  recordAttempt(
    id: string,
    attempt: DeliveryAttempt,
    outcome: { status: 'succeeded' } | { status: 'failed' } | { status: 'pending'; retryAt: number },
  ): Promise<void>;
  listDeliveries(query: {
    tenant: string;
    subscriptionId?: string;
    status?: Delivery['status'];
    limit?: number;
  }): Promise<Delivery[]>;
  /** The attempts of a delivery, oldest first. */
  deliveryAttempts(tenant: string, id: string): Promise<DeliveryAttempt[]>;
  /** Makes a delivery pending again, due now (manual redelivery); undefined when the tenant has none such. */
  redeliver(tenant: string, id: string, now: number): Promise<Delivery | undefined>;

  createTrigger(input: Omit<Trigger, 'id' | 'createdAt' | 'lastFiredAt'>): Promise<Trigger>;
  listTriggers(filter: { tenant?: string; type?: Trigger['type'] }): Promise<Trigger[]>;
  getTrigger(tenant: string, id: string): Promise<Trigger | undefined>;
  updateTrigger(
    tenant: string,
    id: string,
    patch: { enabled?: boolean; input?: unknown },
  ): Promise<Trigger | undefined>;
  deleteTrigger(tenant: string, id: string): Promise<boolean>;
  /**
   * Claims the enabled cron triggers due at `now`. Each due trigger is returned once across all
   * servers: its `nextFireAt` is moved to `next(trigger)` in the same transaction, and its
   * `lastFiredAt` is set to the time it was due.
   */
  claimDueCron(now: number, next: (trigger: Trigger) => number | undefined): Promise<Trigger[]>;
  /** Enabled event triggers whose `eventType` is a prefix of `key`, across tenants. */
  eventTriggersFor(key: string): Promise<Trigger[]>;

  /** A named cursor (the feed position of the webhook dispatcher), shared by every server process. */
  readCursor(name: string): Promise<number>;
  /** Moves a cursor forward only: a lower value than the stored one is ignored. */
  advanceCursor(name: string, value: number): Promise<void>;

  close(): Promise<void>;
}
