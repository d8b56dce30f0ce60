/**
 * What both agent-store adapters share: argument checks, how journal entries, run memory and audit
 * rows become rows and back. Long-term memory's share is in `memory-rows.ts`. No I/O.
 * @module
 */
import { BatonError } from '../../core/errors.js';
import type { AgentAuditRecord, AuditFilter, JournalEntry, JournalScope } from './port.js';

/** Options every adapter takes. */
export interface AgentStoreOptions {
  /** The clock that stamps journal entries, memories and audit rows. @defaultValue Date.now */
  now?: () => number;
}

/** How many rows the list operations return when no limit is given. */
export const DEFAULT_LIST_LIMIT = 100;

const AUDIT_TYPES: readonly AgentAuditRecord['type'][] = ['tool', 'memory.write', 'memory.delete'];

/** An `INVALID_ARGUMENT` error with what to do next. */
export function invalid(message: string, hint: string): BatonError {
  return new BatonError('INVALID_ARGUMENT', message, { hint });
}

/** A closed store's answer to every operation. */
export function storeClosed(): BatonError {
  return new BatonError('STORE_UNAVAILABLE', 'the agent store is closed', {
    hint: 'Open a new agent store; a closed one cannot be reused',
  });
}

/** `value` when it is a non-empty string; otherwise `INVALID_ARGUMENT` naming `what`. */
export function nonEmpty(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalid(
      `${what} must be a non-empty string, got ${JSON.stringify(value) ?? String(value)}`,
      `Pass ${what} as text`,
    );
  }
  return value;
}

/** null for a missing value, else a non-empty string (see {@link nonEmpty}). */
export function optionalText(value: unknown, what: string): string | null {
  return value === undefined || value === null ? null : nonEmpty(value, what);
}

/** `fallback` when `value` is undefined, else `value` when it is a safe integer from 1. */
export function positiveInteger(value: unknown, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw invalid(`${what} must be a positive integer, got ${String(value)}`, `Pass a whole number from 1`);
  }
  return value as number;
}

/** True for `{...}` literals and `Object.create(null)`: not arrays, class instances, null. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** JSON text of `value`; `undefined` is stored as `null`. */
export function toJson(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value === undefined ? null : value);
  } catch (error) {
    throw new BatonError('INVALID_ARGUMENT', `${what} is not JSON: ${(error as Error).message}`, {
      hint: 'Store plain data: objects, arrays, strings, numbers, booleans and null',
      cause: error,
    });
  }
  // A function or a symbol at the top level stringifies to undefined.
  if (text === undefined) {
    throw invalid(`${what} is not JSON (a ${typeof value})`, 'Store plain data, not functions or symbols');
  }
  return text;
}

/** A checked scope with its `item` filled in. */
export interface ScopeKey {
  runId: string;
  stepId: string;
  item: number;
}

/** Checks a journal scope; `item` defaults to -1. */
export function checkScope(scope: JournalScope): ScopeKey {
  const item = scope?.item ?? -1;
  if (!Number.isSafeInteger(item) || item < -1) {
    throw invalid(
      `journal item must be an integer from -1, got ${String(item)}`,
      'Pass the map item index, or -1',
    );
  }
  return { runId: nonEmpty(scope?.runId, 'runId'), stepId: nonEmpty(scope?.stepId, 'stepId'), item };
}

/** A checked journal entry, its data as JSON text. */
export function checkJournalEntry(entry: { seq: number; type: string; data: unknown }): {
  seq: number;
  type: string;
  data: string;
} {
  const seq = entry?.seq;
  if (!Number.isSafeInteger(seq) || seq < 0) {
    throw invalid(
      `journal seq must be a non-negative integer, got ${String(seq)}`,
      'Number entries 0, 1, 2, ...',
    );
  }
  return {
    seq,
    type: nonEmpty(entry.type, 'journal entry type'),
    data: toJson(entry.data, `journal entry ${seq}`),
  };
}

/** A journal row, as either database returns it (Postgres returns bigints as strings). */
export interface JournalRow {
  seq: number | string;
  type: string;
  data: string;
  at: number | string;
}

/** A journal row as the port's {@link JournalEntry}. */
export function toJournalEntry(row: JournalRow): JournalEntry {
  return { seq: Number(row.seq), type: row.type, data: JSON.parse(row.data), at: Number(row.at) };
}

/** Checked run-memory writes: keys to set (JSON text) and keys to delete. */
export function checkRunMemory(
  runId: string,
  values: Record<string, unknown>,
): { runId: string; set: [string, string][]; remove: string[] } {
  nonEmpty(runId, 'runId');
  if (!isPlainObject(values)) throw invalid('run memory values must be an object', 'Pass { key: value }');
  const set: [string, string][] = [];
  const remove: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) remove.push(key);
    else set.push([key, toJson(value, `run memory key ${key}`)]);
  }
  return { runId, set, remove };
}

/** Run-memory rows as one `{ key: value }` object. */
export function toRunMemory(rows: { key: string; value: string }[]): Record<string, unknown> {
  return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value)]));
}

/** An audit record as the columns of its row, in {@link AUDIT_COLUMNS} order. */
export type AuditValues = [
  number,
  string,
  string | null,
  string | null,
  string | null,
  string,
  string,
  string,
];

/** The audit table's columns, in the order of {@link AuditValues}. */
export const AUDIT_COLUMNS = 'at, type, tenant, run_id, step_id, subject, outcome, data';

/** Checks a batch of audit records, all or none, and turns them into row values. */
export function checkAudit(records: AgentAuditRecord[]): AuditValues[] {
  if (!Array.isArray(records)) throw invalid('audit records must be an array', 'Pass an array of records');
  return records.map((r, i) => {
    if (!Number.isSafeInteger(r?.at)) {
      throw invalid(
        `audit record ${i}: at must be epoch milliseconds, got ${String(r?.at)}`,
        'Pass Date.now()',
      );
    }
    if (!AUDIT_TYPES.includes(r.type)) {
      throw invalid(
        `audit record ${i}: unknown type ${String(r.type)}`,
        `Use one of ${AUDIT_TYPES.join(', ')}`,
      );
    }
    if (typeof r.outcome !== 'string')
      throw invalid(`audit record ${i}: outcome must be a string`, 'Pass ok, error or refused');
    if (!isPlainObject(r.data))
      throw invalid(`audit record ${i}: data must be an object`, 'Pass { key: value }');
    return [
      r.at,
      r.type,
      optionalText(r.tenant, 'audit tenant'),
      optionalText(r.runId, 'audit runId'),
      optionalText(r.stepId, 'audit stepId'),
      nonEmpty(r.subject, `audit record ${i} subject`),
      r.outcome,
      toJson(r.data, `audit record ${i} data`),
    ];
  });
}

/** One audit record as row values (see {@link checkAudit}). */
export function auditValues(record: AgentAuditRecord): AuditValues {
  return checkAudit([record])[0] as AuditValues;
}

/** An audit row, as either database returns it. */
export interface AuditRow {
  at: number | string;
  type: AgentAuditRecord['type'];
  tenant: string | null;
  run_id: string | null;
  step_id: string | null;
  subject: string;
  outcome: string;
  data: string;
}

/** An audit row as the port's {@link AgentAuditRecord}; missing scope fields are left out. */
export function toAuditRecord(row: AuditRow): AgentAuditRecord {
  return {
    at: Number(row.at),
    type: row.type,
    ...(row.tenant === null ? {} : { tenant: row.tenant }),
    ...(row.run_id === null ? {} : { runId: row.run_id }),
    ...(row.step_id === null ? {} : { stepId: row.step_id }),
    subject: row.subject,
    outcome: row.outcome,
    data: JSON.parse(row.data),
  };
}

/** The WHERE clause of {@link AuditFilter} and its values; `param(n)` spells the n-th placeholder. */
export function auditWhere(
  filter: AuditFilter,
  param: (n: number) => string,
): { where: string; values: unknown[]; limit: number } {
  const clauses: string[] = [];
  const values: unknown[] = [];
  const add = (column: string, value: unknown) => {
    values.push(value);
    clauses.push(`${column} = ${param(values.length)}`);
  };
  if (filter.tenant !== undefined) add('tenant', nonEmpty(filter.tenant, 'audit filter tenant'));
  if (filter.runId !== undefined) add('run_id', nonEmpty(filter.runId, 'audit filter runId'));
  if (filter.type !== undefined) {
    if (!AUDIT_TYPES.includes(filter.type)) {
      throw invalid(`unknown audit type ${String(filter.type)}`, `Use one of ${AUDIT_TYPES.join(', ')}`);
    }
    add('type', filter.type);
  }
  const limit = positiveInteger(filter.limit, DEFAULT_LIST_LIMIT, 'audit limit');
  return { where: clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`, values, limit };
}

/** Checks the run ids given to `pruneRuns`. */
export function checkRunIds(runIds: string[]): string[] {
  if (!Array.isArray(runIds)) throw invalid('runIds must be an array', 'Pass the ids of the pruned runs');
  return runIds.map((id) => nonEmpty(id, 'runId'));
}
