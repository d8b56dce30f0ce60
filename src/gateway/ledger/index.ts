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
export {
  type LedgerPgPool,
  type LedgerPgQueryable,
  openPostgresLedger,
  type PostgresLedgerOptions,
} from './postgres-ledger.js';
export { openSqliteLedger, type SqliteLedgerOptions } from './sqlite-ledger.js';
