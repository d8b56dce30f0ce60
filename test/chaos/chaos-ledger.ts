/**
 * The external ledger of the chaos suite: a SQLite file beside the test, shared by every worker process
 * and independent of the Postgres server being restarted, standing in for a payment provider.
 *
 * An effect is applied once per idempotency key, as an idempotent external API would: a second call
 * with the same key (the step ran again after its worker died before the engine recorded the result)
 * is a replay, counted and ignored. Each effect also has a business identity (the run it belongs to
 * and what it does); a second effect with the same identity under a different key is a duplicate: the
 * outside world really was charged twice. Every call is logged with its time, so a step body that
 * runs after the engine recorded the step as finished is found too.
 */
import Database from 'better-sqlite3';

/** One invocation of an effect, as the ledger logged it. */
export interface LedgerCall {
  key: string;
  /** The run the effect belongs to (for a child run's effect, the parent run that asked for it). */
  owner: string;
  what: string;
  at: number;
  pid: number;
}

/** An effect applied under a second key: the engine failed to make it happen once. */
export interface LedgerDuplicate extends LedgerCall {
  firstKey: string;
}

export class Ledger {
  private readonly db: Database.Database;
  private readonly apply: (call: LedgerCall) => void;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // Three workers write at once; a write waits its turn rather than failing the step.
    this.db.pragma('busy_timeout = 30000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS effects (key TEXT PRIMARY KEY, owner TEXT NOT NULL, what TEXT NOT NULL,
                                          UNIQUE (owner, what));
      CREATE TABLE IF NOT EXISTS calls (key TEXT NOT NULL, owner TEXT NOT NULL, what TEXT NOT NULL,
                                        at INTEGER NOT NULL, pid INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS duplicates (key TEXT NOT NULL, owner TEXT NOT NULL, what TEXT NOT NULL,
                                             at INTEGER NOT NULL, pid INTEGER NOT NULL, first_key TEXT NOT NULL);`);
    const logCall = this.db.prepare('INSERT INTO calls (key, owner, what, at, pid) VALUES (?, ?, ?, ?, ?)');
    const insert = this.db.prepare(
      'INSERT INTO effects (key, owner, what) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING',
    );
    const firstKey = this.db.prepare('SELECT key FROM effects WHERE owner = ? AND what = ?');
    const duplicate = this.db.prepare(
      'INSERT INTO duplicates (key, owner, what, at, pid, first_key) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.apply = this.db.transaction((c: LedgerCall) => {
      logCall.run(c.key, c.owner, c.what, c.at, c.pid);
      try {
        insert.run(c.key, c.owner, c.what);
      } catch (error) {
        if ((error as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw error;
        const first = firstKey.get(c.owner, c.what) as { key: string };
        duplicate.run(c.key, c.owner, c.what, c.at, c.pid, first.key);
      }
    });
  }

  /** Applies an effect once per idempotency key; `owner` and `what` name it in business terms. */
  effect(key: string, owner: string, what: string): void {
    this.apply({ key, owner, what, at: Date.now(), pid: process.pid });
  }

  /** Applied effects, by owner: `what` → key. */
  effects(): Map<string, Map<string, string>> {
    const out = new Map<string, Map<string, string>>();
    for (const e of this.db.prepare('SELECT key, owner, what FROM effects').all() as {
      key: string;
      owner: string;
      what: string;
    }[]) {
      const of = out.get(e.owner) ?? new Map<string, string>();
      of.set(e.what, e.key);
      out.set(e.owner, of);
    }
    return out;
  }

  calls(): LedgerCall[] {
    return this.db.prepare('SELECT key, owner, what, at, pid FROM calls ORDER BY at').all() as LedgerCall[];
  }

  duplicates(): LedgerDuplicate[] {
    return (
      this.db.prepare('SELECT key, owner, what, at, pid, first_key FROM duplicates').all() as (LedgerCall & {
        first_key: string;
      })[]
    ).map(({ first_key, ...c }) => ({ ...c, firstKey: first_key }));
  }

  /** Calls that repeated an effect already applied under the same key (re-runs after a crash). */
  replays(): number {
    const row = this.db
      .prepare('SELECT (SELECT count(*) FROM calls) - (SELECT count(*) FROM effects) AS n')
      .get() as { n: number };
    return row.n - this.duplicates().length;
  }

  close(): void {
    this.db.close();
  }
}
