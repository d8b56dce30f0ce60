/**
 * One agent step's journal, read once when the step starts and appended to as the loop goes. The loop
 * asks it for the entry at a number before doing anything: a hit is a call already made (by this
 * attempt or one that died), replayed instead of repeated.
 * @module
 */
import type { AgentStore, JournalEntry, JournalScope } from '../state/port.js';

/** The journal of one step (and item) of one run. */
export class StepJournal {
  readonly #store: AgentStore;
  readonly #scope: JournalScope;
  readonly #entries: Map<number, JournalEntry>;
  #replayed = 0;

  private constructor(store: AgentStore, scope: JournalScope, entries: JournalEntry[]) {
    this.#store = store;
    this.#scope = scope;
    this.#entries = new Map(entries.map((e) => [e.seq, e]));
  }

  /** Reads the step's journal. */
  static async open(store: AgentStore, scope: JournalScope): Promise<StepJournal> {
    return new StepJournal(store, scope, await store.readJournal(scope));
  }

  /** The entry at `seq`, if one was recorded (counted as a replay). */
  get(seq: number): JournalEntry | undefined {
    const entry = this.#entries.get(seq);
    if (entry) this.#replayed += 1;
    return entry;
  }

  /** Whether an entry exists at `seq`, without counting a replay. */
  has(seq: number): boolean {
    return this.#entries.has(seq);
  }

  /**
   * Records an entry and returns what the store kept: another worker's entry when it wrote that number
   * first (the loop then continues from that one, so two workers never diverge).
   */
  async record(seq: number, type: string, data: unknown): Promise<JournalEntry> {
    const stored = await this.#store.appendJournal(this.#scope, { seq, type, data });
    this.#entries.set(seq, stored);
    return stored;
  }

  /** The entry at `seq`, or the one `make` produces, recorded. */
  async once(seq: number, type: string, make: () => unknown | Promise<unknown>): Promise<JournalEntry> {
    return this.get(seq) ?? this.record(seq, type, await make());
  }

  /** Entries taken from the journal instead of being made again, so far. */
  get replayed(): number {
    return this.#replayed;
  }
}
