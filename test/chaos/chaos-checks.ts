/**
 * Invariants of one run's history that must hold whatever crashed, as a list of problems (empty when it
 * is consistent), so the suite can report every broken run at once rather than the first.
 */
import type { HistoryEvent } from '../../src/core/types.js';

const TERMINAL = new Set(['run-succeeded', 'run-failed', 'run-cancelled']);
/** Events that may happen once per step (or per item, or per compensation). */
const ONCE = new Set([
  'step-succeeded',
  'step-failed',
  'step-skipped',
  'item-succeeded',
  'compensation-succeeded',
]);

function slot(e: Pick<HistoryEvent, 'stepId' | 'item' | 'attempt'>, kind: string): string {
  return `${kind}:${e.stepId ?? ''}:${e.item ?? ''}:${e.attempt ?? ''}`;
}

function kindOf(e: HistoryEvent): string {
  return ((e.data as { kind?: string } | undefined)?.kind ?? 'step') === 'compensate' ? 'compensate' : 'work';
}

/** What is wrong with a run's history (seq order, one terminal event last, nothing finished twice, attempts that were started). */
export function historyProblems(events: HistoryEvent[]): string[] {
  const problems: string[] = [];
  for (let i = 1; i < events.length; i++) {
    if ((events[i]?.seq ?? 0) <= (events[i - 1]?.seq ?? 0)) problems.push(`seq not increasing at event ${i}`);
  }
  if (events[0]?.type !== 'run-created') problems.push(`first event is ${events[0]?.type}, not run-created`);
  const terminal = events.filter((e) => TERMINAL.has(e.type));
  if (terminal.length !== 1) problems.push(`${terminal.length} terminal events`);
  else if (events.at(-1) !== terminal[0]) problems.push(`events after ${terminal[0]?.type}`);

  const once = new Map<string, number>();
  const started = new Set<string>();
  let map: { stepId: string | undefined; items: number } | undefined;
  const items = new Set<number>();
  for (const e of events) {
    if (ONCE.has(e.type)) {
      const key = `${e.type}:${e.stepId}:${e.type === 'item-succeeded' ? e.item : ''}`;
      once.set(key, (once.get(key) ?? 0) + 1);
    }
    switch (e.type) {
      case 'attempt-started':
        started.add(slot(e, kindOf(e)));
        break;
      case 'map-expanded':
        map = { stepId: e.stepId, items: (e.data as { items: number }).items };
        break;
      case 'item-succeeded':
        items.add(e.item ?? -1);
        if (!map || (e.item ?? -1) < 0 || (e.item ?? -1) >= map.items)
          problems.push(`item ${e.item} outside the expansion`);
        break;
      case 'compensation-succeeded':
        if (![...started].some((s) => s.startsWith(`compensate:${e.stepId}:`)))
          problems.push(`compensation-succeeded of ${e.stepId} without attempt-started`);
        break;
      case 'lease-taken-over':
        if (!started.has(slot(e, kindOf(e))))
          problems.push(`lease-taken-over of ${slot(e, kindOf(e))} that never started`);
        break;
    }
    // A finished attempt must have been started (by some worker) before; a map succeeds with all its items.
    if (['step-succeeded', 'item-succeeded', 'attempt-failed'].includes(e.type) && e.attempt !== undefined) {
      // attempt-failed does not say whether it was a compensation's attempt.
      const kinds = e.type === 'attempt-failed' ? ['work', 'compensate'] : ['work'];
      if (!kinds.some((kind) => started.has(slot(e, kind))))
        problems.push(`${e.type} of ${slot(e, 'work')} without attempt-started`);
    }
    if (e.type === 'step-succeeded' && map && e.stepId === map.stepId && items.size !== map.items)
      problems.push(`map ${e.stepId} succeeded with ${items.size}/${map.items} items`);
  }
  for (const [key, n] of once) if (n > 1) problems.push(`${key} ${n} times`);
  return problems;
}

/** The work an idempotency key names (`run:step`, `run:step:item`, `run:step:compensate`). */
function workOf(key: string, byRun: Map<string, HistoryEvent[]>) {
  const [runId, stepId, rest] = key.split(':');
  const events = byRun.get(runId ?? '') ?? [];
  const compensate = rest === 'compensate';
  const item = rest === undefined || compensate ? undefined : Number(rest);
  return { events, stepId, compensate, item };
}

/** The history event that recorded the work an idempotency key belongs to as finished, if any. */
export function finishedEventOf(key: string, byRun: Map<string, HistoryEvent[]>): HistoryEvent | undefined {
  const { events, stepId, compensate, item } = workOf(key, byRun);
  if (compensate) return events.find((e) => e.type === 'compensation-succeeded' && e.stepId === stepId);
  if (item !== undefined)
    return events.find((e) => e.type === 'item-succeeded' && e.stepId === stepId && e.item === item);
  return events.find((e) => e.type === 'step-succeeded' && e.stepId === stepId);
}

/** The leases of the work an idempotency key belongs to that were taken over (its worker died or stalled). */
export function takeoversOf(key: string, byRun: Map<string, HistoryEvent[]>): HistoryEvent[] {
  const { events, stepId, compensate, item } = workOf(key, byRun);
  return events.filter(
    (e) =>
      e.type === 'lease-taken-over' &&
      e.stepId === stepId &&
      e.item === item &&
      (kindOf(e) === 'compensate') === compensate,
  );
}
