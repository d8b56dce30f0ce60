/**
 * The engine's behaviour tests again, with every engine on its own fresh Postgres database: the same
 * workers, step kinds, timers, child runs and compensations, through the Postgres adapter.
 */
import { it } from 'vitest';
import { setEngineStore } from '../helpers.js';
import { postgresSkipReason } from '../postgres.js';

const skip = postgresSkipReason();
if (skip === undefined) {
  setEngineStore('postgres');
  await import('./engine.test.js');
  await import('./edge-cases.test.js');
} else {
  it.skip(`engine on Postgres (skipped: ${skip})`, () => undefined);
}
