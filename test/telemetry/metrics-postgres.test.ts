/**
 * The metric value tests again with the engine and the agents' audit trail on a fresh Postgres
 * database: the exporter's Postgres source against the same known runs.
 */
import { it } from 'vitest';
import { setEngineStore } from '../helpers.js';
import { postgresSkipReason } from '../postgres.js';

const skip = postgresSkipReason();
if (skip === undefined) {
  setEngineStore('postgres');
  await import('./metrics.test.js');
} else {
  it.skip(`metrics on Postgres (skipped: ${skip})`, () => undefined);
}
