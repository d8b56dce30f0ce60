/**
 * What both ledger adapters share: argument checks, how keys and log entries become rows and back,
 * spend aggregation and the request-log cursor. No I/O.
 * @module
 */
import { BatonError } from '../../core/errors.js';
import { keyPrefix } from './key-secret.js';
import { utcDay } from './periods.js';
import type {
  BudgetLimit,
  BudgetPeriod,
  KeyRateLimits,
  NewKey,
  RequestFilter,
  RequestLogEntry,
  SpendEntry,
  SpendScope,
  VirtualKey,
} from './port.js';

const PERIODS: readonly BudgetPeriod[] = ['day', 'week', 'month', 'total'];
const SCOPES: readonly SpendScope[] = ['key', 'tenant', 'run'];
const ENDPOINTS: readonly RequestLogEntry['endpoint'][] = ['chat', 'embeddings'];
const STATUSES: readonly RequestLogEntry['status'][] = ['ok', 'error', 'cancelled'];
const INTEGER_FIELDS = [
  'at',
  'inputTokens',
  'outputTokens',
  'cachedInputTokens',
  'reasoningTokens',
  'retries',
  'fallbacks',
] as const;

/** The page size of {@link RequestFilter.limit} when none is given. */
export const DEFAULT_PAGE = 50;
/** The largest page {@link RequestFilter.limit} can ask for; larger limits are cut to it. */
export const MAX_PAGE = 1000;

function invalid(message: string, hint: string): BatonError {
  return new BatonError('INVALID_ARGUMENT', message, { hint });
}

/** A closed ledger's answer to every operation. */
export function ledgerClosed(): BatonError {
  return new BatonError('STORE_UNAVAILABLE', 'the gateway ledger is closed', {
    hint: 'Open a new ledger; a closed one cannot be reused',
  });
}

function nonEmpty(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalid(`${what} must be a non-empty string`, `Pass ${what} as text`);
  }
  return value;
}

function finite(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalid(`${what} must be a finite number, got ${String(value)}`, `Pass ${what} as a number`);
  }
  return value;
}

/** A key request with its defaults filled in, checked. */
export interface CheckedKey {
  tenant: string;
  name: string;
  allowedModels: string[];
  budgets: BudgetLimit[];
  rateLimits: KeyRateLimits;
  expiresAt: number | undefined;
}

/** Checks a {@link NewKey} and fills in its defaults. */
export function checkNewKey(input: NewKey): CheckedKey {
  const tenant = nonEmpty(input.tenant, 'tenant');
  const name = nonEmpty(input.name, 'name');
  const allowedModels = (input.allowedModels ?? []).map((m) => nonEmpty(m, 'each allowed model'));
  const budgets = (input.budgets ?? []).map((b) => {
    if (!PERIODS.includes(b.period)) {
      throw invalid(`budget period ${String(b.period)} is unknown`, `Use one of ${PERIODS.join(', ')}`);
    }
    if (finite(b.usd, 'a budget') < 0) throw invalid(`budget ${b.usd} is negative`, 'Pass 0 or more dollars');
    return { period: b.period, usd: b.usd };
  });
  const rateLimits: KeyRateLimits = {};
  for (const field of ['requestsPerMinute', 'tokensPerMinute'] as const) {
    const value = input.rateLimits?.[field];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value <= 0) {
      throw invalid(`${field} must be a positive integer, got ${value}`, 'Omit it for no limit');
    }
    rateLimits[field] = value;
  }
  const expiresAt = input.expiresAt;
  if (expiresAt !== undefined && !Number.isSafeInteger(expiresAt)) {
    throw invalid(`expiresAt must be whole milliseconds since the epoch, got ${expiresAt}`, 'Round it');
  }
  return { tenant, name, allowedModels, budgets, rateLimits, expiresAt };
}

/** A key as both adapters read it (times as numbers, or as the strings a bare `pg` pool returns). */
export interface KeyRow {
  id: string;
  tenant: string;
  name: string;
  secret_hash: string;
  allowed_models: string;
  budgets: string;
  rate_limits: string;
  created_at: number | string;
  revoked_at: number | string | null;
  expires_at: number | string | null;
}

/** The key of a row. */
export function toVirtualKey(row: KeyRow): VirtualKey {
  return {
    id: row.id,
    prefix: keyPrefix(row.id),
    tenant: row.tenant,
    name: row.name,
    allowedModels: JSON.parse(row.allowed_models) as string[],
    budgets: JSON.parse(row.budgets) as BudgetLimit[],
    rateLimits: JSON.parse(row.rate_limits) as KeyRateLimits,
    createdAt: Number(row.created_at),
    ...(row.revoked_at === null ? {} : { revokedAt: Number(row.revoked_at) }),
    ...(row.expires_at === null ? {} : { expiresAt: Number(row.expires_at) }),
  };
}

/** Whether a key authenticates at `now`: neither revoked nor expired. */
export function isKeyUsable(key: VirtualKey, now: number): boolean {
  return key.revokedAt === undefined && (key.expiresAt === undefined || now < key.expiresAt);
}

/** The spend of one scope on one UTC day. */
export interface SpendBucket {
  scope: SpendScope;
  scopeId: string;
  day: number;
  usd: number;
}

/**
 * Entries summed per bucket, in a fixed order: one upsert per bucket (Postgres refuses to update a row
 * twice in one statement), and concurrent batches lock buckets in the same order, so they cannot deadlock.
 */
export function toSpendBuckets(entries: readonly SpendEntry[]): SpendBucket[] {
  const buckets = new Map<string, SpendBucket>();
  for (const e of entries) {
    checkScope(e.scope);
    nonEmpty(e.scopeId, 'scopeId');
    const day = utcDay(finite(e.at, 'at'));
    finite(e.usd, 'usd');
    const id = `${e.scope}\u0000${e.scopeId}\u0000${day}`;
    const bucket = buckets.get(id);
    if (bucket) bucket.usd += e.usd;
    else buckets.set(id, { scope: e.scope, scopeId: e.scopeId, day, usd: e.usd });
  }
  return [...buckets.values()].sort(
    (a, b) => cmp(a.scope, b.scope) || cmp(a.scopeId, b.scopeId) || a.day - b.day,
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Checks a spend scope. */
export function checkScope(scope: SpendScope): void {
  if (!SCOPES.includes(scope))
    throw invalid(`spend scope ${String(scope)} is unknown`, 'Use key, tenant or run');
}

/** Checks `spentSince` arguments; returns the first UTC day to sum. */
export function checkSpentSince(scope: SpendScope, scopeId: string, since: number): number {
  checkScope(scope);
  nonEmpty(scopeId, 'scopeId');
  return utcDay(finite(since, 'since'));
}

/** Checks `totalSpent` arguments; returns the distinct ids. */
export function checkTotalSpent(scope: SpendScope, scopeIds: readonly string[]): string[] {
  checkScope(scope);
  for (const id of scopeIds) nonEmpty(id, 'scopeId');
  return [...new Set(scopeIds)];
}

/** The sums of {@link GatewayLedger.totalSpent}, with 0 for the ids that spent nothing. */
export function toTotals(
  ids: readonly string[],
  rows: { scope_id: string; usd: number | string }[],
): Map<string, number> {
  const totals = new Map(ids.map((id) => [id, 0]));
  for (const row of rows) totals.set(row.scope_id, Number(row.usd));
  return totals;
}

/** Checks log entries before they are written; returns them sorted by id (a fixed lock order). */
export function checkRequests(entries: readonly RequestLogEntry[]): RequestLogEntry[] {
  for (const e of entries) {
    nonEmpty(e.id, 'a request id');
    nonEmpty(e.tenant, `tenant of request ${e.id}`);
    nonEmpty(e.route, `route of request ${e.id}`);
    if (!ENDPOINTS.includes(e.endpoint))
      throw invalid(`endpoint ${String(e.endpoint)} is unknown`, 'Use chat or embeddings');
    if (!STATUSES.includes(e.status))
      throw invalid(`status ${String(e.status)} is unknown`, 'Use ok, error or cancelled');
    for (const field of ['costUsd', 'latencyMs'] as const) finite(e[field], `${field} of request ${e.id}`);
    if (e.ttftMs !== undefined) finite(e.ttftMs, `ttftMs of request ${e.id}`);
    for (const field of INTEGER_FIELDS) {
      if (!Number.isSafeInteger(e[field])) {
        throw invalid(`${field} of request ${e.id} must be an integer, got ${e[field]}`, 'Round it');
      }
    }
  }
  return [...entries].sort((a, b) => cmp(a.id, b.id));
}

/** Entries a request-log prune deletes per statement: each batch holds the write lock only briefly. */
export const PRUNE_BATCH = 10_000;

/**
 * Checks `pruneRequests`' bound; returns it as whole milliseconds (`at < before` is `at < ceil(before)`
 * for integer times, and a bigint column refuses a fractional bound).
 */
export function checkPruneBefore(before: number): number {
  return Math.ceil(finite(before, 'before'));
}

/** A request-log row as both adapters read it. */
export interface RequestRow {
  id: string;
  at: number | string;
  tenant: string;
  key_id: string | null;
  run_id: string | null;
  route: string;
  target: string | null;
  endpoint: string;
  stream: boolean | number;
  status: string;
  error_code: string | null;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  reasoning_tokens: number;
  cost_usd: number;
  latency_ms: number;
  ttft_ms: number | null;
  cache_hit: boolean | number;
  retries: number;
  fallbacks: number;
  request: string | null;
  response: string | null;
  step_id: string | null;
}

/** The log entry of a row; absent optional fields stay absent. */
export function toRequestEntry(row: RequestRow): RequestLogEntry {
  const optional = <K extends keyof RequestLogEntry>(key: K, value: RequestLogEntry[K] | null) =>
    value === null ? {} : { [key]: value };
  return {
    id: row.id,
    at: Number(row.at),
    tenant: row.tenant,
    ...optional('keyId', row.key_id),
    ...optional('runId', row.run_id),
    route: row.route,
    ...optional('target', row.target),
    endpoint: row.endpoint as RequestLogEntry['endpoint'],
    stream: Boolean(row.stream),
    status: row.status as RequestLogEntry['status'],
    ...optional('errorCode', row.error_code),
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    cachedInputTokens: Number(row.cached_input_tokens),
    reasoningTokens: Number(row.reasoning_tokens),
    costUsd: Number(row.cost_usd),
    latencyMs: Number(row.latency_ms),
    ...optional('ttftMs', row.ttft_ms === null ? null : Number(row.ttft_ms)),
    cacheHit: Boolean(row.cache_hit),
    retries: Number(row.retries),
    fallbacks: Number(row.fallbacks),
    ...optional('request', row.request),
    ...optional('response', row.response),
    ...optional('stepId', row.step_id),
  } as RequestLogEntry;
}

/** A page request, checked: its limit and the position its cursor stands for. */
export interface CheckedPage {
  limit: number;
  before: { at: number; id: string } | undefined;
}

/** Checks a {@link RequestFilter}'s paging. */
export function checkPage(filter: RequestFilter): CheckedPage {
  const limit = filter.limit ?? DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1) {
    throw invalid(`limit must be a positive integer, got ${limit}`, `Pass 1 to ${MAX_PAGE}`);
  }
  if (filter.since !== undefined) finite(filter.since, 'since');
  if (filter.status !== undefined && !['ok', 'error', 'cancelled'].includes(filter.status)) {
    throw invalid(`status must be ok, error or cancelled, got ${filter.status}`, 'Pass one of them');
  }
  return {
    limit: Math.min(limit, MAX_PAGE),
    before: filter.before === undefined ? undefined : decodeCursor(filter.before),
  };
}

/** The cursor after `entry`: opaque to callers, `<at>:<id>` in base64url inside. */
export function encodeCursor(entry: { at: number; id: string }): string {
  return Buffer.from(`${entry.at}:${entry.id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { at: number; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const colon = text.indexOf(':');
  const at = Number(text.slice(0, colon));
  if (colon < 1 || !Number.isSafeInteger(at) || colon === text.length - 1) {
    throw invalid(
      `cursor ${JSON.stringify(cursor)} is not one listRequests returned`,
      'Pass a nextCursor unchanged',
    );
  }
  return { at, id: text.slice(colon + 1) };
}

/** The page of `rows` (fetched with one row more than the limit, to know whether another page follows). */
export function toPage(
  rows: RequestRow[],
  limit: number,
): { entries: RequestLogEntry[]; nextCursor?: string } {
  const entries = rows.slice(0, limit).map(toRequestEntry);
  const last = entries.at(-1);
  return rows.length > limit && last ? { entries, nextCursor: encodeCursor(last) } : { entries };
}

/** The request log's columns, in the order of {@link requestValues}. */
export const REQUEST_COLUMNS = [
  'id',
  'at',
  'tenant',
  'key_id',
  'run_id',
  'route',
  'target',
  'endpoint',
  'stream',
  'status',
  'error_code',
  'input_tokens',
  'output_tokens',
  'cached_input_tokens',
  'reasoning_tokens',
  'cost_usd',
  'latency_ms',
  'ttft_ms',
  'cache_hit',
  'retries',
  'fallbacks',
  'request',
  'response',
  'step_id',
] as const;

/** The values of an entry's row, in {@link REQUEST_COLUMNS} order; absent fields are null. */
export function requestValues(e: RequestLogEntry): (string | number | boolean | null)[] {
  return [
    e.id,
    e.at,
    e.tenant,
    e.keyId ?? null,
    e.runId ?? null,
    e.route,
    e.target ?? null,
    e.endpoint,
    e.stream,
    e.status,
    e.errorCode ?? null,
    e.inputTokens,
    e.outputTokens,
    e.cachedInputTokens,
    e.reasoningTokens,
    e.costUsd,
    e.latencyMs,
    e.ttftMs ?? null,
    e.cacheHit,
    e.retries,
    e.fallbacks,
    e.request ?? null,
    e.response ?? null,
    e.stepId ?? null,
  ];
}

/**
 * The WHERE clause (possibly empty) and values of a request-log page; `param(n)` spells the n-th
 * placeholder (1-based) in the adapter's dialect.
 */
export function requestWhere(
  filter: RequestFilter,
  page: CheckedPage,
  param: (n: number) => string,
): { where: string; values: (string | number)[] } {
  const terms: string[] = [];
  const values: (string | number)[] = [];
  const p = (value: string | number) => {
    values.push(value);
    return param(values.length);
  };
  if (filter.tenant !== undefined) terms.push(`tenant = ${p(filter.tenant)}`);
  if (filter.keyId !== undefined) terms.push(`key_id = ${p(filter.keyId)}`);
  if (filter.runId !== undefined) terms.push(`run_id = ${p(filter.runId)}`);
  if (filter.stepId !== undefined) terms.push(`step_id = ${p(filter.stepId)}`);
  // Bound twice: SQLite's `?` placeholders are positional.
  if (filter.model !== undefined) terms.push(`(route = ${p(filter.model)} OR target = ${p(filter.model)})`);
  if (filter.status !== undefined) terms.push(`status = ${p(filter.status)}`);
  // Times are whole milliseconds; a bigint column would refuse a fractional bound.
  if (filter.since !== undefined) terms.push(`at >= ${p(Math.ceil(filter.since))}`);
  // A row comparison, so that the (…, at, id) indexes serve the page directly.
  if (page.before) terms.push(`(at, id) < (${p(page.before.at)}, ${p(page.before.id)})`);
  return { where: terms.length === 0 ? '' : `WHERE ${terms.join(' AND ')}`, values };
}
