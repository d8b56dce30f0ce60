/**
 * The agent tests again on Postgres: every engine and its agent store on a fresh database, so the
 * loop, its journal, memory and delegation run through the Postgres adapters.
 */
import { it } from 'vitest';
import { setEngineStore } from '../helpers.js';
import { postgresSkipReason } from '../postgres.js';

const skip = postgresSkipReason();
if (skip === undefined) {
  setEngineStore('postgres');
  await import('./agent.test.js');
} else {
  it.skip(`agents on Postgres (skipped: ${skip})`, () => undefined);
}
