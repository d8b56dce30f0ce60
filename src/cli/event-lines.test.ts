import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../core/types.js';
import { EventRenderer, PROGRESS_INTERVAL_MS } from './event-lines.js';
import { palette } from './format.js';

const at = 1_700_000_000_000;
let seq = 0;
const event = (e: Omit<HistoryEvent, 'runId' | 'seq' | 'at'> & { at?: number }): HistoryEvent => ({
  runId: 'r1',
  seq: ++seq,
  at: e.at ?? at,
  ...e,
});

describe('EventRenderer', () => {
  it('prints a finished step with its attempt and duration', () => {
    const r = new EventRenderer('r1', palette(false));
    expect(
      r.render(event({ type: 'attempt-started', stepId: 'a', attempt: 2, data: { kind: 'step' } })),
    ).toEqual([]);
    const [line] = r.render(event({ type: 'step-succeeded', stepId: 'a', at: at + 3 }));
    expect(line).toMatch(/✓ a {2}\(attempt 2, 3 ms\)$/);
  });

  it('tells how to decide a waiting approval', () => {
    const r = new EventRenderer('r1', palette(false));
    const [line] = r.render(
      event({ type: 'step-waiting', stepId: 'ok', data: { for: 'approval', request: { prompt: 'Ship?' } } }),
    );
    expect(line).toContain('⏸ ok waiting for approval: "Ship?" — decide with: baton approve r1 ok --approve');
  });

  it('aggregates map items into a progress line at most every 500 ms', () => {
    const r = new EventRenderer('r1', palette(false), 'wf');
    r.render(event({ type: 'map-expanded', stepId: 'm', data: { items: 1000 } }));
    const lines: string[] = [];
    for (let i = 0; i < 1000; i++) {
      lines.push(...r.render(event({ type: 'item-succeeded', stepId: 'm', item: i, attempt: 1 })));
      lines.push(...r.progress(at + i));
    }
    expect(lines).toHaveLength(Math.floor(999 / PROGRESS_INTERVAL_MS));
    expect(lines[0]).toContain('wf  ▸ m 501/1000 items done');
  });

  it('shows the first item failures, then only counts them', () => {
    const r = new EventRenderer('r1', palette(false));
    r.render(event({ type: 'map-expanded', stepId: 'm', data: { items: 10 } }));
    const lines = Array.from({ length: 10 }, (_, i) =>
      r.render(event({ type: 'item-failed', stepId: 'm', item: i, data: { code: 'BOOM', message: 'no' } })),
    ).flat();
    expect(lines).toHaveLength(3);
    expect(r.progress(at + PROGRESS_INTERVAL_MS)[0]).toContain('10/10 items done (10 failed)');
  });
});
