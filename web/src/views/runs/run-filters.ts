/**
 * The runs list's filters, kept in the URL's query string so that a filtered view can be shared and
 * reloaded, and their translation into the query of `GET /v1/runs`. Pure: no React.
 * @module
 */
import type { Query } from '../../api/client';

/** Every status `GET /v1/runs` filters on; `waiting_for_approval` selects waiting runs with an approval open. */
export const RUN_STATUSES = [
  'queued',
  'running',
  'waiting',
  'waiting_for_approval',
  'succeeded',
  'failed',
  'cancelled',
] as const;

/** Relative time windows offered by the list, by their URL value. */
export const TIME_WINDOWS: Record<string, { label: string; ms: number }> = {
  '15m': { label: 'Last 15 min', ms: 15 * 60_000 },
  '1h': { label: 'Last hour', ms: 3_600_000 },
  '24h': { label: 'Last 24 h', ms: 86_400_000 },
  '7d': { label: 'Last 7 days', ms: 7 * 86_400_000 },
  '30d': { label: 'Last 30 days', ms: 30 * 86_400_000 },
};

/** The list's filters as the URL holds them (strings, empty when unset). */
export interface RunFilters {
  workflow: string;
  /** A version id, `name@2`. */
  version: string;
  /** Statuses, any of {@link RUN_STATUSES}. */
  status: string[];
  tag: string;
  /** A key of {@link TIME_WINDOWS}, or `custom` with `after`/`before`. */
  window: string;
  /** `datetime-local` values (local time) of a custom window. */
  after: string;
  before: string;
  minCost: string;
  maxCost: string;
  /** The `next_cursor` the shown page starts after; empty on the first page. */
  cursor: string;
}

const KEYS = [
  'workflow',
  'version',
  'tag',
  'window',
  'after',
  'before',
  'minCost',
  'maxCost',
  'cursor',
] as const;

/** Reads the filters from a query string (`?workflow=x&status=failed,waiting`). */
export function parseFilters(search: string): RunFilters {
  const params = new URLSearchParams(search);
  const get = (k: string) => params.get(k)?.trim() ?? '';
  const status = get('status')
    .split(',')
    .filter((s): s is string => (RUN_STATUSES as readonly string[]).includes(s));
  return {
    workflow: get('workflow'),
    version: get('version'),
    status,
    tag: get('tag'),
    window: get('window'),
    after: get('after'),
    before: get('before'),
    minCost: get('minCost'),
    maxCost: get('maxCost'),
    cursor: get('cursor'),
  };
}

/** The query string of `filters`, without empty values (`''` when nothing is set). */
export function filtersToSearch(filters: RunFilters): string {
  const params = new URLSearchParams();
  for (const k of KEYS) if (filters[k]) params.set(k, filters[k]);
  if (filters.status.length > 0) params.set('status', filters.status.join(','));
  // Ordered keys give one URL per view, which keeps shared links and the query cache stable.
  params.sort();
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** True when any filter (not the page) is set. */
export function hasFilters(f: RunFilters): boolean {
  return Boolean(f.workflow || f.version || f.status.length || f.tag || f.window || f.minCost || f.maxCost);
}

/** A filter value the API would refuse, with what is wrong; undefined when all are valid. */
export function filterProblem(f: RunFilters): string | undefined {
  for (const [name, value] of [
    ['Min cost', f.minCost],
    ['Max cost', f.maxCost],
  ] as const) {
    if (value && !(Number(value) >= 0)) return `${name} must be a number of dollars, 0 or more`;
  }
  if (f.minCost && f.maxCost && Number(f.minCost) > Number(f.maxCost)) {
    return 'Min cost is above max cost: no run can match';
  }
  if (f.window === 'custom') {
    for (const [name, value] of [
      ['From', f.after],
      ['To', f.before],
    ] as const) {
      if (value && Number.isNaN(new Date(value).getTime())) return `${name} is not a date and time`;
    }
  }
  return undefined;
}

/**
 * The query of `GET /v1/runs` for `filters`. A relative window is measured back from `now`, which
 * the caller rounds (to the poll interval) so that the query, and so the cache key, stays stable
 * between polls.
 */
export function toApiQuery(filters: RunFilters, now: number, limit: number): Query {
  const q: Query = { limit };
  if (filters.workflow) q.workflow = filters.workflow;
  if (filters.version) q.version = filters.version;
  if (filters.status.length > 0) q.status = filters.status.join(',');
  if (filters.tag) q.tag = filters.tag;
  const window = TIME_WINDOWS[filters.window];
  if (window) q.createdAfter = now - window.ms;
  if (filters.window === 'custom') {
    if (filters.after) q.createdAfter = new Date(filters.after).getTime();
    if (filters.before) q.createdBefore = new Date(filters.before).getTime();
  }
  if (filters.minCost) q.minCostUsd = filters.minCost;
  if (filters.maxCost) q.maxCostUsd = filters.maxCost;
  if (filters.cursor) q.cursor = filters.cursor;
  return q;
}
