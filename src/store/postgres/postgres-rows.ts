/**
 * How `pg` values become the shared rows of `store/rows.ts`: `bigint` columns (times, ids) as numbers.
 * The parsers are the pool's own, so the process-wide defaults of `pg` stay untouched.
 * @module
 */
import pg from 'pg';

export type { RunRow, StepRow, VersionRow } from '../rows.js';

const INT8 = 20;

/** Type parsers of the adapter's pool and listener. */
export const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    // Milliseconds and identity ids stay far below 2^53.
    if (oid === INT8) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown;
  },
};
