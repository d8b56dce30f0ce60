/**
 * What both control-store adapters share for keys, the audit log and cursors: argument checks, ids,
 * and how rows become the port's types. Webhooks and deliveries are in `webhook-rows.ts`, triggers in
 * `trigger-rows.ts`. No I/O.
 * @module
 */
import { invalid, isPlainObject, nonEmpty, positiveInteger, toJson } from '../../agents/state/agent-rows.js';
import { BatonError } from '../../core/errors.js';
import {
  hashKeySecret,
  keyPrefix,
  newKeySecret,
  parseKeySecret,
  secretMatches,
} from '../../gateway/ledger/key-secret.js';
import { newRunId } from '../../store/ids.js';
import type { ApiKey, AuditEntry, AuditQuery, ControlStore, CreatedApiKey, Role } from './port.js';
import { ROLES } from './port.js';

export { invalid, isPlainObject, nonEmpty, positiveInteger, toJson };

/** What `createKey` is given. */
export type NewKey = Parameters<ControlStore['createKey']>[0];
/** What `createWebhook` is given. */
export type NewWebhook = Parameters<ControlStore['createWebhook']>[0];
/** One delivery given to `enqueueDeliveries`. */
export type NewDelivery = Parameters<ControlStore['enqueueDeliveries']>[0][number];
/** What `claimDeliveries` is given. */
export type DeliveryClaim = Parameters<ControlStore['claimDeliveries']>[0];
/** The outcome given to `recordAttempt`. */
export type AttemptOutcome = Parameters<ControlStore['recordAttempt']>[2];
/** What `listDeliveries` is given. */
export type DeliveryQuery = Parameters<ControlStore['listDeliveries']>[0];
/** What `createTrigger` is given. */
export type NewTrigger = Parameters<ControlStore['createTrigger']>[0];
/** What `updateTrigger` is given. */
export type TriggerPatch = Parameters<ControlStore['updateTrigger']>[2];

/** Options every adapter takes. */
export interface ControlStoreOptions {
  /** The clock that stamps keys, webhooks, deliveries and triggers. @defaultValue Date.now */
  now?: () => number;
}

/** How many rows `listAudit` and `listDeliveries` return when no limit is given. */
export const DEFAULT_LIST_LIMIT = 50;

/** A key's `lastUsedAt` is written at most this often, so that authenticating is mostly a read. */
export const LAST_USED_EVERY_MS = 60_000;

/** The prefix of API key secrets: `bk_<id>_<secret>`. */
export const API_KEY_PREFIX = 'bk';

/** Tries at a free key id before giving up (8 base62 characters collide about never). */
export const KEY_ID_TRIES = 5;

/** A closed store's answer to every operation. */
export function storeClosed(): BatonError {
  return new BatonError('STORE_UNAVAILABLE', 'the control store is closed', {
    hint: 'Open a new control store; a closed one cannot be reused',
  });
}

/**
 * A time-ordered id: `<prefix>_` + the milliseconds of `at` in base 36 (fixed width) + 10 random
 * characters, the format of run ids (`src/store/ids.ts`), so that newest first is `ORDER BY id DESC`
 * and a cursor is `id < cursor`.
 */
export function newControlId(prefix: string, at: number): string {
  return `${prefix}_${newRunId(at).slice('run_'.length)}`;
}

/** `value` when it is epoch milliseconds (a safe integer from 0). */
export function epochMs(value: unknown, what: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw invalid(`${what} must be epoch milliseconds, got ${String(value)}`, 'Pass a time like Date.now()');
  }
  return value as number;
}

/** Postgres returns bigints as strings: a nullable integer column as a number or undefined. */
export function optionalNumber(value: number | string | null): number | undefined {
  return value === null ? undefined : Number(value);
}

/** Checked roles: a non-empty list of known roles, without repeats, in the order given. */
export function checkRoles(roles: unknown): Role[] {
  if (!Array.isArray(roles) || roles.length === 0) {
    throw invalid('roles must be a non-empty array', `Give the key one or more of ${ROLES.join(', ')}`);
  }
  for (const role of roles) {
    if (!ROLES.includes(role as Role)) {
      throw invalid(`roles: unknown role ${JSON.stringify(role)}`, `Use one of ${ROLES.join(', ')}`);
    }
  }
  return [...new Set(roles as Role[])];
}

/** A new key's row values, in {@link KEY_COLUMNS} order, and what `createKey` answers. */
export interface NewKeyRow {
  values: [string, string, string, string, string, number, number | null];
  created: CreatedApiKey;
}

/** The key table's columns, in the order of {@link NewKeyRow.values} then the mutable ones. */
export const KEY_COLUMNS =
  'id, tenant, name, secret_hash, roles, created_at, expires_at, revoked_at, last_used_at';

/**
 * Checks a new key and draws its secret (a fresh one on each call: call again when the id is taken).
 * Only the secret's hash goes into the row.
 */
export function newKeyRow(input: NewKey, createdAt: number): NewKeyRow {
  const tenant = nonEmpty(input?.tenant, 'tenant');
  const name = nonEmpty(input.name, 'name');
  const roles = checkRoles(input.roles);
  const expiresAt = input.expiresAt === undefined ? undefined : epochMs(input.expiresAt, 'expiresAt');
  const { id, secret } = newKeySecret(API_KEY_PREFIX);
  const key: ApiKey = {
    id,
    prefix: keyPrefix(id, API_KEY_PREFIX),
    tenant,
    name,
    roles,
    createdAt,
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
  return {
    values: [id, tenant, name, hashKeySecret(secret), JSON.stringify(roles), createdAt, expiresAt ?? null],
    created: { key, secret },
  };
}

/** The key id of a well-formed `bk_` secret, or undefined (answered without hashing nor reading). */
export function parseApiKeySecret(secret: unknown): string | undefined {
  return parseKeySecret(secret, API_KEY_PREFIX);
}

/** A key row, as either database returns it. */
export interface KeyRow {
  id: string;
  tenant: string;
  name: string;
  secret_hash: string;
  roles: string;
  created_at: number | string;
  expires_at: number | string | null;
  revoked_at: number | string | null;
  last_used_at: number | string | null;
}

/** A key row as the port's {@link ApiKey}, without its hash. */
export function toApiKey(row: KeyRow): ApiKey {
  const expiresAt = optionalNumber(row.expires_at);
  const revokedAt = optionalNumber(row.revoked_at);
  const lastUsedAt = optionalNumber(row.last_used_at);
  return {
    id: row.id,
    prefix: keyPrefix(row.id, API_KEY_PREFIX),
    tenant: row.tenant,
    name: row.name,
    roles: JSON.parse(row.roles) as Role[],
    createdAt: Number(row.created_at),
    ...(revokedAt === undefined ? {} : { revokedAt }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
    ...(lastUsedAt === undefined ? {} : { lastUsedAt }),
  };
}

/**
 * What `findKeyBySecret` makes of the row the secret's id found: the key when the secret matches
 * (constant-time) and the key is neither revoked nor expired, and whether `lastUsedAt` is due a write.
 */
export function authenticate(
  secret: string,
  row: KeyRow | undefined,
  now: number,
): { key: ApiKey; touch: boolean } | undefined {
  if (!row || !secretMatches(secret, row.secret_hash)) return undefined;
  const key = toApiKey(row);
  if (key.revokedAt !== undefined || (key.expiresAt !== undefined && key.expiresAt <= now)) return undefined;
  const touch = key.lastUsedAt === undefined || now - key.lastUsedAt >= LAST_USED_EVERY_MS;
  return { key: touch ? { ...key, lastUsedAt: now } : key, touch };
}

/** Checks a `listKeys` filter: the tenant, or null for every tenant. */
export function checkKeyFilter(filter: { tenant?: string } | undefined): string | null {
  return filter?.tenant === undefined ? null : nonEmpty(filter.tenant, 'tenant');
}

/** The audit table's columns, in the order of {@link checkAuditEntry}'s values. */
export const AUDIT_COLUMNS = 'id, at, tenant, actor, action, target, details';

/** Checks an audit entry and gives it its id; `values` are in {@link AUDIT_COLUMNS} order. */
export function checkAuditEntry(entry: Omit<AuditEntry, 'id'>): {
  entry: AuditEntry;
  values: [string, number, string, string, string, string, string];
} {
  const at = epochMs(entry?.at, 'at');
  const tenant = nonEmpty(entry.tenant, 'tenant');
  const actor = nonEmpty(entry.actor, 'actor');
  const action = nonEmpty(entry.action, 'action');
  const target = nonEmpty(entry.target, 'target');
  if (!isPlainObject(entry.details)) throw invalid('details must be an object', 'Pass { key: value }');
  const details = toJson(entry.details, 'details');
  const id = newControlId('aud', at);
  return {
    entry: { id, at, tenant, actor, action, target, details: JSON.parse(details) },
    values: [id, at, tenant, actor, action, target, details],
  };
}

/** An audit row, as either database returns it. */
export interface AuditRow {
  id: string;
  at: number | string;
  tenant: string;
  actor: string;
  action: string;
  target: string;
  details: string;
}

/** An audit row as the port's {@link AuditEntry}. */
export function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    at: Number(row.at),
    tenant: row.tenant,
    actor: row.actor,
    action: row.action,
    target: row.target,
    details: JSON.parse(row.details),
  };
}

/**
 * The WHERE clause of an {@link AuditQuery} and its values, the limit last; `param(n)` spells the
 * n-th placeholder.
 */
export function auditWhere(
  query: AuditQuery,
  param: (n: number) => string,
): { where: string; values: unknown[] } {
  const clauses: string[] = [];
  const values: unknown[] = [];
  const add = (column: string, op: string, value: unknown) => {
    values.push(value);
    clauses.push(`${column} ${op} ${param(values.length)}`);
  };
  add('tenant', '=', nonEmpty(query?.tenant, 'tenant'));
  for (const field of ['action', 'actor', 'target'] as const) {
    if (query[field] !== undefined) add(field, '=', nonEmpty(query[field], field));
  }
  if (query.cursor !== undefined) add('id', '<', nonEmpty(query.cursor, 'cursor'));
  const limit = positiveInteger(query.limit, DEFAULT_LIST_LIMIT, 'limit');
  values.push(limit);
  return { where: `WHERE ${clauses.join(' AND ')}`, values };
}

/** Checks a cursor value: a safe integer. */
export function checkCursorValue(value: unknown): number {
  if (!Number.isSafeInteger(value)) {
    throw invalid(`cursor value must be a safe integer, got ${String(value)}`, 'Pass a feed position');
  }
  return value as number;
}
