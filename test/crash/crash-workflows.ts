/**
 * Workflows for the crash suite. Every body records each invocation in an external ledger (a separate
 * SQLite file, as a payment provider or mailer would keep it): `calls` counts raw invocations (at least
 * once), `effects` is keyed by idempotency key (effectively once).
 */
import Database from 'better-sqlite3';
import { z } from 'zod';
import { workflow } from '../../src/core/builder.js';
import { NonRetryableError } from '../../src/core/errors.js';

/** The external ledger. */
export class Ledger {
  private readonly db: Database.Database;
  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS calls (run_id TEXT, what TEXT, n INTEGER NOT NULL, PRIMARY KEY (run_id, what));
                  CREATE TABLE IF NOT EXISTS effects (key TEXT PRIMARY KEY, what TEXT NOT NULL)`);
  }
  /** Records a raw invocation. */
  call(runId: string, what: string): void {
    this.db
      .prepare(
        'INSERT INTO calls (run_id, what, n) VALUES (?, ?, 1) ON CONFLICT (run_id, what) DO UPDATE SET n = n + 1',
      )
      .run(runId, what);
  }
  /** Applies an effect once per idempotency key, as an idempotent external API would. */
  effect(key: string, what: string): void {
    this.db.prepare('INSERT OR IGNORE INTO effects (key, what) VALUES (?, ?)').run(key, what);
  }
  calls(): { run_id: string; what: string; n: number }[] {
    return this.db.prepare('SELECT * FROM calls ORDER BY run_id, what').all() as {
      run_id: string;
      what: string;
      n: number;
    }[];
  }
  effects(): { key: string; what: string }[] {
    return this.db.prepare('SELECT * FROM effects ORDER BY key').all() as { key: string; what: string }[];
  }
  close(): void {
    this.db.close();
  }
}

/** Builds the crash-suite workflows around a ledger. */
export function crashWorkflows(ledger: Ledger) {
  const order = workflow({ name: 'order', version: '1', input: z.object({ n: z.number() }) })
    .step('reserve', {
      effect: true,
      idempotent: true,
      run: ({ run, idempotencyKey }) => {
        ledger.call(run.id, 'reserve');
        ledger.effect(idempotencyKey, 'reserve');
        return 'reserved';
      },
    })
    .step('charge', {
      needs: ['reserve'],
      effect: true,
      run: ({ run, idempotencyKey }) => {
        ledger.call(run.id, 'charge');
        ledger.effect(idempotencyKey, 'charge');
        return 'charged';
      },
    })
    .step('ship', {
      needs: ['charge'],
      run: ({ run }) => {
        ledger.call(run.id, 'ship');
        return 'shipped';
      },
    })
    .build();

  const fanout = workflow({ name: 'fanout', version: '1', input: z.object({ n: z.number() }) })
    .map('items', {
      items: ({ input }) => Array.from({ length: input.n }, (_, i) => i),
      concurrency: 5,
      run: (i, { run, idempotencyKey }) => {
        ledger.call(run.id, `item-${i}`);
        ledger.effect(idempotencyKey, `item-${i}`);
        return i * 2;
      },
    })
    .build();

  const sleeper = workflow({ name: 'sleeper', version: '1', input: z.object({ ms: z.number() }) })
    .step('before', {
      run: ({ run }) => {
        ledger.call(run.id, 'before');
        return 1;
      },
    })
    .wait('nap', { needs: ['before'], for: 1500 })
    .step('after', {
      needs: ['nap'],
      run: ({ run }) => {
        ledger.call(run.id, 'after');
        return 2;
      },
    })
    .build();

  const saga = workflow({ name: 'saga', version: '1', input: z.object({}) })
    .step('book', {
      effect: true,
      run: ({ run, idempotencyKey }) => {
        ledger.call(run.id, 'book');
        ledger.effect(idempotencyKey, 'book');
        return 'booked';
      },
      compensate: ({ run, idempotencyKey }) => {
        ledger.call(run.id, 'unbook');
        ledger.effect(`undo:${idempotencyKey}`, 'unbook');
      },
    })
    .step('pay', {
      needs: ['book'],
      effect: true,
      run: ({ run, idempotencyKey }) => {
        ledger.call(run.id, 'pay');
        ledger.effect(idempotencyKey, 'pay');
        return 'paid';
      },
      compensate: ({ run, idempotencyKey }) => {
        ledger.call(run.id, 'refund');
        ledger.effect(`undo:${idempotencyKey}`, 'refund');
      },
    })
    .step('confirm', {
      needs: ['pay'],
      run: ({ run }) => {
        ledger.call(run.id, 'confirm');
        throw new NonRetryableError('supplier refused', { code: 'SUPPLIER_REFUSED' });
      },
    })
    .build();

  return [order, fanout, sleeper, saga];
}
