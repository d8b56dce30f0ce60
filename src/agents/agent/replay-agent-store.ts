/**
 * The agent store as a replay sees it: journals, memories and audit are read from the real store,
 * and nothing is written to it. Journal entries the replayed loop makes stay in memory (the loop
 * must get them back to go on); every other write is refused, since a replay changes nothing.
 * @module
 */
import { BatonError } from '../../core/errors.js';
import type { AgentStore, JournalEntry, JournalScope } from '../state/port.js';

/** A read-only view of `store` for a replay (see the module note). */
export function replayAgentStore(store: AgentStore, now: () => number): AgentStore {
  const added = new Map<string, JournalEntry>();
  const keyOf = (scope: JournalScope, seq: number) =>
    `${scope.runId}\u0000${scope.stepId}\u0000${scope.item ?? -1}\u0000${seq}`;
  const refuse = (what: string) =>
    Promise.reject(
      new BatonError(
        'REPLAY_NO_RECORDING',
        `a replay does not ${what}: the replayed step went past its recording`,
        {
          hint: 'The step diverged from the recorded run; fork the run to execute it live',
        },
      ),
    );
  return {
    readJournal: (scope) => store.readJournal(scope),
    async appendJournal(scope, entry) {
      const key = keyOf(scope, entry.seq);
      const kept = added.get(key) ?? { ...entry, at: now() };
      added.set(key, kept);
      return kept;
    },
    readRunMemory: (runId) => store.readRunMemory(runId),
    writeRunMemory: () => refuse('write run memory'),
    remember: () => refuse('write long-term memory'),
    recall: (query) => store.recall(query),
    listMemories: (filter) => store.listMemories(filter),
    forget: () => refuse('delete memories'),
    appendAudit: async () => {},
    listAudit: (filter) => store.listAudit(filter),
    pruneRuns: () => refuse('prune runs'),
    // The real store belongs to the engine: closing the view leaves it open.
    close: async () => {},
  };
}
