/** The firing and ok stretches of an alert over a span of time, from its changes of status. */
import type { AlertState } from './alert-words';

/** One stretch: `[from, to)`, firing or not. */
export interface Segment {
  from: number;
  to: number;
  firing: boolean;
}

/** The firing and ok stretches of one subject over `[start, now]`, from its changes (in any order). */
export function segmentsOf(
  changes: Pick<AlertState, 'since' | 'status'>[],
  start: number,
  now: number,
): Segment[] {
  const sorted = [...changes].sort((a, b) => a.since - b.since);
  // Before its first known change, a subject was in the other state.
  let firing = sorted[0] ? sorted[0].status !== 'firing' : false;
  let from = start;
  const out: Segment[] = [];
  for (const change of sorted) {
    const next = change.status === 'firing';
    if (change.since <= start) {
      firing = next;
      continue;
    }
    if (change.since > now) break;
    if (change.since > from) out.push({ from, to: change.since, firing });
    from = change.since;
    firing = next;
  }
  out.push({ from, to: now, firing });
  return out;
}
