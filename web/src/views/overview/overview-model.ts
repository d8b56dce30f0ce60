/**
 * The overview's data (`GET /v1/stats`) and the judgements made on it: the red/amber/green thresholds
 * and the per-minute and per-hour rates. Pure: no React.
 * @module
 */

/** `GET /v1/stats`, as `docs/api.md` describes it. */
export interface Stats {
  window: string;
  since: number;
  until: number;
  bucketMs: number;
  health: {
    finished: number;
    succeeded: number;
    failed: number;
    cancelled: number;
    successRate: number | null;
    durationMs: { p50: number; p95: number } | null;
    errorRate: { windowMs: number; finished: number; failed: number; rate: number | null };
    active: { queued: number; running: number; waiting: number };
  };
  usageLogged: boolean;
  usage: { calls: number; tokens: number; costUsd: number };
  series: StatsBucket[];
  errors: { code: string; count: number; exampleRunId: string }[];
  failures: { id: string; workflow: string; error: { code: string; message: string }; finishedAt: number }[];
}

/** One bucket of {@link Stats.series}. */
export interface StatsBucket {
  at: number;
  started: number;
  succeeded: number;
  failed: number;
  calls: number;
  tokens: number;
  costUsd: number;
}

/** The windows the selector offers; their keys are also the runs list's `window` values. */
export const WINDOWS = [
  { value: '1h', label: '1 h' },
  { value: '24h', label: '24 h' },
  { value: '7d', label: '7 d' },
] as const;

/** A traffic light; `none` when there is nothing to judge (no run finished). */
export type Light = 'green' | 'amber' | 'red' | 'none';

/**
 * Where each health figure turns amber and red, and the sentence the tooltip shows. Success rate:
 * the 99 % / 95 %. p95 duration: agent runs take seconds to a minute when healthy; past five
 * minutes something is stuck or slow (note that runs waiting for an approval count their wait). Error
 * rate: the mirror of the success rate's bands, over the last 5 minutes only, so it reacts fast.
 */
export const THRESHOLDS = {
  successRate: {
    light: (rate: number | null): Light =>
      rate === null ? 'none' : rate >= 0.99 ? 'green' : rate >= 0.95 ? 'amber' : 'red',
    text: 'Green at 99 % or more, amber from 95 %, red below 95 %. Succeeded ÷ (succeeded + failed) of the runs that finished in the window; cancelled runs are left out.',
  },
  p95Duration: {
    light: (ms: number | null): Light =>
      ms === null ? 'none' : ms <= 60_000 ? 'green' : ms <= 300_000 ? 'amber' : 'red',
    text: 'Green up to 1 min, amber up to 5 min, red above. Finish minus start of the runs that finished in the window; a run that waited for an approval or an event counts its wait.',
  },
  errorRate: {
    light: (rate: number | null): Light =>
      rate === null ? 'none' : rate < 0.01 ? 'green' : rate < 0.05 ? 'amber' : 'red',
    text: 'Green below 1 %, amber below 5 %, red at 5 % or more. Failed ÷ finished over the last 5 minutes, whatever the window.',
  },
} as const;

/** The KPI class of a light. */
export function lightClass(light: Light): string {
  return light === 'none' ? 'kpi' : `kpi kpi-${light}`;
}

/** Minutes and hours the window spans, for rates per minute and per hour. */
export function spanOf(stats: Pick<Stats, 'since' | 'until'>): { minutes: number; hours: number } {
  const ms = Math.max(1, stats.until - stats.since);
  return { minutes: ms / 60_000, hours: ms / 3_600_000 };
}

/** `1 min`, `30 min`, `3 h`, `1 d`: a bucket's width in words. */
export function bucketLabel(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  return `${Math.round(ms / 60_000)} min`;
}

/** True on a fresh install: nothing ran in the window and nothing is running now. */
export function isEmpty(stats: Stats): boolean {
  const a = stats.health.active;
  return (
    stats.health.finished === 0 &&
    a.queued + a.running + a.waiting === 0 &&
    stats.series.every((b) => b.started === 0 && b.calls === 0)
  );
}
