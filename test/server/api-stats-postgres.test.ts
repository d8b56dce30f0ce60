/**
 * The `GET /v1/stats` tests again with the engine on a fresh Postgres database: the same exact counts
 * from the Postgres adapter's aggregates.
 */
import { it } from 'vitest';
import { setEngineStore } from '../helpers.js';
import { postgresSkipReason } from '../postgres.js';

const skip = postgresSkipReason();
if (skip === undefined) {
  setEngineStore('postgres');
  await import('./api-stats.test.js');
} else {
  it.skip(`stats on Postgres (skipped: ${skip})`, () => undefined);
}
