/**
 * The gateway's persistent ledger: virtual keys, spend and the request log, behind the
 * {@link GatewayLedger} port, with a SQLite and a Postgres adapter.
 * @module
 */
export { hashKeySecret, keyPrefix, newKeySecret, parseKeySecret, secretMatches } from './key-secret.js';
export { DAY_MS, periodStart, utcDay } from './periods.js';
export type {
  BudgetLimit,
  BudgetPeriod,
  CreatedKey,
  GatewayLedger,
  KeyFilter,
  KeyRateLimits,
  LedgerOptions,
  NewKey,
  RequestFilter,
  RequestLogEntry,
  RequestPage,
  SpendEntry,
  SpendScope,
  VirtualKey,
} from './port.js';

import type { GatewayLedger } from './port.js';
import type { PostgresLedgerOptions } from './postgres-ledger.js';

export type { LedgerPgPool, LedgerPgQueryable, PostgresLedgerOptions } from './postgres-ledger.js';

/**
 * Opens the Postgres ledger (see `postgres-ledger.ts`). Loaded on first use, so a gateway on SQLite
 * does not carry the Postgres driver in memory.
 */
export async function openPostgresLedger(options: PostgresLedgerOptions): Promise<GatewayLedger> {
  const { openPostgresLedger: open } = await import('./postgres-ledger.js');
  return open(options);
}
export { openSqliteLedger, type SqliteLedgerOptions } from './sqlite-ledger.js';
