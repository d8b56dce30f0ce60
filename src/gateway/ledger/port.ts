/**
 * The `GatewayLedger` port: what the gateway keeps durably, as domain operations. No connection,
 * transaction or row type crosses it; each adapter owns its connections and transactions.
 *
 * Glossary:
 * - **Virtual key**: a credential the gateway issues to a tenant (`bvk_<id>_<random>`). Only the SHA-256
 *   hash of the secret is stored; the secret is shown once, by {@link GatewayLedger.createKey}.
 * - **Spend**: dollars charged to a scope (a key, a tenant or a run), kept in one bucket per scope per
 *   UTC day, so that the spend of a budget period is a sum of at most ~31 rows.
 * - **Request log**: one row per gateway call (chat or embeddings), with its usage, cost and outcome;
 *   payloads are stored only as the caller passes them (masked and truncated already).
 *
 * Adapters: `sqlite-ledger.ts` (embedded) and `postgres-ledger.ts`. Every adapter must pass the
 * conformance suite in `conformance.ts`. Tables are prefixed `gateway_` and migrations are tracked in
 * `gateway_migrations`, so a ledger can share a database (and schema) with the engine's store.
 * @module
 */

/** A budget period. Periods start at UTC midnight; a week starts on Monday, a month on the 1st. */
export type BudgetPeriod = 'day' | 'week' | 'month' | 'total';

/** At most `usd` dollars per `period`. */
export interface BudgetLimit {
  period: BudgetPeriod;
  usd: number;
}

/** Per-key rate limits; an absent limit is no limit. */
export interface KeyRateLimits {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
}

/** A virtual key, without its secret. */
export interface VirtualKey {
  /** The 8-character id embedded in the secret (`bvk_<id>_...`); the key's lookup handle. */
  id: string;
  /** The visible start of the secret, `bvk_<id>`: safe to show in lists and logs. */
  prefix: string;
  tenant: string;
  /** A human label. */
  name: string;
  /** Model aliases the key may call; empty means all. */
  allowedModels: string[];
  budgets: BudgetLimit[];
  rateLimits: KeyRateLimits;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Set once the key is revoked; a revoked key never authenticates again. */
  revokedAt?: number;
  /** The key stops authenticating at this instant (ms since the epoch). */
  expiresAt?: number;
}

/** A request to create a virtual key. */
export interface NewKey {
  tenant: string;
  name: string;
  /** Model aliases the key may call. @defaultValue [] (all models) */
  allowedModels?: string[];
  /** @defaultValue [] (no budget of its own; the tenant's still apply) */
  budgets?: BudgetLimit[];
  /** @defaultValue {} (no limit of its own) */
  rateLimits?: KeyRateLimits;
  /** When the key stops authenticating (ms since the epoch). @defaultValue never */
  expiresAt?: number;
}

/** A key just created, with its secret: the only time the secret is available. */
export interface CreatedKey {
  key: VirtualKey;
  /** The full secret, `bvk_<id>_<random>`. Hand it to the user now; it cannot be recovered. */
  secret: string;
}

/** Filters for {@link GatewayLedger.listKeys}. */
export interface KeyFilter {
  tenant?: string;
}

/** What spend is charged to. */
export type SpendScope = 'key' | 'tenant' | 'run';

/** Dollars charged to one scope at one instant. */
export interface SpendEntry {
  scope: SpendScope;
  /** The key id, tenant or run id. */
  scopeId: string;
  /** When the spend happened (ms since the epoch); decides its UTC-day bucket. */
  at: number;
  /** Dollars; negative amounts correct earlier entries. */
  usd: number;
}

/** One gateway call, as the request log keeps it. */
export interface RequestLogEntry {
  /** Unique per call; appending an id twice keeps the first entry (so a batch can be retried). */
  id: string;
  /** When the call started (ms since the epoch). */
  at: number;
  tenant: string;
  keyId?: string;
  runId?: string;
  /** The workflow step that made the call (the request metadata `baton.step`), when one did. */
  stepId?: string;
  /** The model alias the caller asked for. */
  route: string;
  /** The target that answered (`provider/model`), when one did. */
  target?: string;
  endpoint: 'chat' | 'embeddings';
  stream: boolean;
  status: 'ok' | 'error' | 'cancelled';
  /** A Baton error code, when `status` is `error`. */
  errorCode?: string;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  reasoningTokens: number;
  costUsd: number;
  latencyMs: number;
  /** Time to the first token of a streamed call. */
  ttftMs?: number;
  cacheHit: boolean;
  retries: number;
  fallbacks: number;
  /** The request as JSON text, masked and truncated by the caller. */
  request?: string;
  /** The response as JSON text, masked and truncated by the caller. */
  response?: string;
}

/** Filters for {@link GatewayLedger.listRequests}. */
export interface RequestFilter {
  tenant?: string;
  keyId?: string;
  runId?: string;
  /** Only calls made by this step (of `runId`'s run, usually). */
  stepId?: string;
  /** Only calls to this model: the alias asked for (`route`) or the target that answered (`provider/model`). */
  model?: string;
  /** Only calls that ended so. */
  status?: RequestLogEntry['status'];
  /** Only entries with `at >= since`. */
  since?: number;
  /** @defaultValue 50; at most 1000 */
  limit?: number;
  /** A {@link RequestPage.nextCursor}: continue after the last entry of that page. */
  before?: string;
}

/** One page of the request log, newest first. */
export interface RequestPage {
  entries: RequestLogEntry[];
  /** Pass as `before` for the next (older) page; absent on the last page. */
  nextCursor?: string;
}

/** A span of the request log: entries with `since <= at < until`, optionally of one tenant. */
export interface UsageWindow {
  since: number;
  until: number;
  tenant?: string;
}

/** What the calls of one run (and one of its steps) used within a {@link UsageWindow}. */
export interface RunStepUsage {
  runId: string;
  /** Absent for calls logged without a step. */
  stepId?: string;
  calls: number;
  /** Calls whose status is `error`. */
  errors: number;
  /** Input plus output tokens. */
  tokens: number;
  costUsd: number;
}

/** How one tenant's calls to one model alias ended within a {@link UsageWindow}. */
export interface RouteOutcomes {
  tenant: string;
  route: string;
  calls: number;
  /**
   * Calls that failed at the model: status `error`, except the gateway's own refusals (budget, rate
   * limit, unknown route, key, PII policy). Cancelled calls count as calls, not as errors.
   */
  errors: number;
}

/** What the calls of a {@link UsageWindow} used in one time bucket, `[at, at + bucketMs)`. */
export interface UsageBucket {
  at: number;
  calls: number;
  /** Input plus output tokens. */
  tokens: number;
  costUsd: number;
}

/** Options every adapter takes. */
export interface LedgerOptions {
  /** The clock: creation and revocation times, expiry checks. @defaultValue Date.now */
  now?: () => number;
}

/**
 * The gateway's durable state: virtual keys, spend and the request log.
 * Invalid arguments reject with a `BatonError` coded `INVALID_ARGUMENT`; a closed ledger rejects every
 * operation with `STORE_UNAVAILABLE`.
 */
export interface GatewayLedger {
  /** Creates a key and returns it with its secret; only the secret's hash is stored. */
  createKey(input: NewKey): Promise<CreatedKey>;
  /**
   * The key a secret belongs to, or undefined when the secret is malformed (answered without a database
   * read), unknown, wrong, revoked or expired.
   */
  findKeyBySecret(secret: string): Promise<VirtualKey | undefined>;
  /** Keys, revoked and expired ones included, oldest first. */
  listKeys(filter?: KeyFilter): Promise<VirtualKey[]>;
  /**
   * Revokes a key for good and returns it; undefined when no key has this id. Revoking twice keeps
   * the first `revokedAt`.
   */
  revokeKey(id: string): Promise<VirtualKey | undefined>;
  /** Adds spend to the UTC-day buckets of its scopes, all entries in one transaction. */
  recordSpend(entries: SpendEntry[]): Promise<void>;
  /**
   * Dollars charged to a scope from the UTC day of `since` on. Day granularity: `since` is rounded
   * down to its UTC midnight, so pass a period start (see `periodStart`).
   */
  spentSince(scope: SpendScope, scopeId: string, since: number): Promise<number>;
  /**
   * All-time dollars charged to each of `scopeIds` (a page of runs), in one query; an id with no spend
   * maps to 0.
   */
  totalSpent(scope: SpendScope, scopeIds: readonly string[]): Promise<Map<string, number>>;
  /** Appends entries to the request log in one transaction; ids already logged are skipped. */
  appendRequests(entries: RequestLogEntry[]): Promise<void>;
  /** The request log, newest first (by `at`, then `id`), one page at a time. */
  listRequests(filter?: RequestFilter): Promise<RequestPage>;
  /**
   * Deletes the request-log entries with `at < before` (ms since the epoch) and returns how many went:
   * the retention policy of the log. Adapters delete in bounded batches, so a large backlog never holds
   * a lock (or, for SQLite, the event loop) for long; readers page on undisturbed. Spend is left alone:
   * `total` budgets sum every day bucket ever recorded.
   */
  pruneRequests(before: number): Promise<number>;
  /**
   * The request log summed per run and step over a window (entries without a run are left out),
   * in one aggregate query: what the cost model and the cost alerts read.
   */
  runUsage(window: UsageWindow): Promise<RunStepUsage[]>;
  /** Calls and errors per tenant and model alias over a window, in one aggregate query (the error-rate alert). */
  routeOutcomes(window: UsageWindow): Promise<RouteOutcomes[]>;
  /**
   * Calls, tokens and cost per time bucket of `bucketMs` from `window.since`, every bucket present
   * (zeros included), in one aggregate query: the dashboard's throughput series. Throws
   * `INVALID_ARGUMENT` for an empty window or more than 1,000 buckets.
   */
  usageSeries(window: UsageWindow, bucketMs: number): Promise<UsageBucket[]>;
  /** Releases the ledger's connections. Safe twice. */
  close(): Promise<void>;
}
