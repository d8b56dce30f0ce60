/**
 * The runs list (`/runs`): filters kept in the URL, server-side cursor pages of `GET /v1/runs`, and
 * live updates by polling the first page every few seconds (later pages stay still so that rows do
 * not shift under the reader).
 * @module
 */
import { useMemo, useState } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { useApiGet } from '../../api/hooks';
import { useSession } from '../../auth/session';
import { formatAgo, formatDuration, formatTime, formatUsd } from '../../components/format';
import { Card, ErrorBox, Page, StatusBadge } from '../../components/ui';
import { NewRunDialog } from './new-run-dialog';
import {
  filterProblem,
  filtersToSearch,
  hasFilters,
  parseFilters,
  type RunFilters,
  toApiQuery,
} from './run-filters';
import { RunFiltersBar } from './run-filters-bar';
import type { PageOf, Run } from './run-types';
import './runs.css';

/** Runs a page. */
const PAGE_SIZE = 50;
/** How often the first page is polled. */
const POLL_MS = 4000;

/** The runs list with its filters, pages, live polling and the "New run" action. */
export function RunsView() {
  const session = useSession();
  const search = useSearch();
  const [, navigate] = useLocation();
  const filters = useMemo(() => parseFilters(search), [search]);
  // The cursors of the pages before this one, to go back; lost on reload (a shared link starts anew).
  const [previous, setPrevious] = useState<string[]>([]);
  const [creating, setCreating] = useState(false);
  const firstPage = filters.cursor === '';
  const problem = filterProblem(filters);

  // Relative windows slide with the polls: `now` moves in POLL_MS steps, so each poll is one cache key.
  const now = Math.floor(Date.now() / POLL_MS) * POLL_MS;
  const query = toApiQuery(filters, now, PAGE_SIZE);
  const runs = useApiGet<PageOf<Run>>(problem ? undefined : '/v1/runs', query, {
    ...(firstPage ? { refetchMs: POLL_MS } : {}),
  });

  const setFilters = (next: RunFilters, keepPage = false) => {
    if (!keepPage) setPrevious([]);
    navigate(`/runs${filtersToSearch(keepPage ? next : { ...next, cursor: '' })}`, { replace: true });
  };
  const goNext = (cursor: string) => {
    setPrevious((p) => [...p, filters.cursor]);
    navigate(`/runs${filtersToSearch({ ...filters, cursor })}`);
  };
  const goBack = () => {
    const back = previous[previous.length - 1] ?? '';
    setPrevious((p) => p.slice(0, -1));
    navigate(`/runs${filtersToSearch({ ...filters, cursor: back })}`);
  };

  const page = runs.data;
  const rows = page?.data ?? [];
  const pageNo = previous.length + 1;

  return (
    <Page
      title="Runs"
      testId="runs-view"
      actions={
        session.can('runs.submit') && (
          <button type="button" className="primary" onClick={() => setCreating(true)} data-testid="new-run">
            New run
          </button>
        )
      }
    >
      <div className="muted runs-tenant" data-testid="runs-tenant">
        Tenant <strong>{session.tenant}</strong>: your key sees this tenant's runs only.
      </div>
      <RunFiltersBar filters={filters} onChange={setFilters} />
      {problem && <div className="error">{problem}</div>}
      <Card className="runs-card">
        <div className="runs-status-line">
          <span className="muted" data-testid="runs-live">
            {problem
              ? 'Not listing: fix the filter above'
              : firstPage
                ? `Live: the first page refreshes every ${POLL_MS / 1000} s${
                    runs.dataUpdatedAt ? `, last at ${new Date(runs.dataUpdatedAt).toLocaleTimeString()}` : ''
                  }`
                : `Page ${pageNo}: not refreshed (rows would shift); go to the first page for live updates`}
            {runs.isFetching && ' …'}
          </span>
          <Pager
            pageNo={pageNo}
            canBack={!firstPage}
            next={page?.next_cursor ?? null}
            onBack={previous.length > 0 ? goBack : () => setFilters(filters)}
            backLabel={previous.length > 0 ? 'Previous' : 'First page'}
            onNext={goNext}
          />
        </div>
        {runs.error ? (
          <ErrorBox error={runs.error} />
        ) : !page ? (
          !problem && <div className="muted loading-line">Loading runs…</div>
        ) : rows.length === 0 ? (
          <EmptyRuns
            filtered={hasFilters(filters)}
            more={page.next_cursor !== null}
            canSubmit={session.can('runs.submit')}
            onClear={() => setFilters(parseFilters(''))}
            onNext={() => page.next_cursor && goNext(page.next_cursor)}
          />
        ) : (
          <RunsTable runs={rows} />
        )}
        {page && rows.length > 0 && rows.length < PAGE_SIZE && page.next_cursor !== null && (
          <div className="muted small runs-short-page">
            A cost filter reads at most 20 pages of runs a request: this page is short, and more runs may
            match further back (Next continues the scan).
          </div>
        )}
      </Card>
      {creating && (
        <NewRunDialog
          onClose={() => setCreating(false)}
          {...(filters.workflow ? { workflow: filters.workflow } : {})}
        />
      )}
    </Page>
  );
}

function Pager(props: {
  pageNo: number;
  canBack: boolean;
  backLabel: string;
  next: string | null;
  onBack: () => void;
  onNext: (cursor: string) => void;
}) {
  const { next } = props;
  return (
    <div className="row pager">
      <button type="button" disabled={!props.canBack} onClick={props.onBack}>
        {props.backLabel}
      </button>
      <span className="muted">Page {props.pageNo}</span>
      <button
        type="button"
        disabled={next === null}
        onClick={() => next && props.onNext(next)}
        data-testid="runs-next"
      >
        Next
      </button>
    </div>
  );
}

function EmptyRuns(props: {
  filtered: boolean;
  more: boolean;
  canSubmit: boolean;
  onClear: () => void;
  onNext: () => void;
}) {
  if (props.more) {
    return (
      <div className="empty" data-testid="runs-empty">
        No run on this stretch matches the cost filter yet.{' '}
        <button type="button" className="link" onClick={props.onNext}>
          Scan further back
        </button>
      </div>
    );
  }
  if (props.filtered) {
    return (
      <div className="empty" data-testid="runs-empty">
        No runs match these filters.{' '}
        <button type="button" className="link" onClick={props.onClear}>
          Clear the filters
        </button>
      </div>
    );
  }
  return (
    <div className="empty" data-testid="runs-empty">
      No runs yet — submit one with {props.canSubmit ? 'New run above, ' : ''}
      <code>npx baton run &lt;workflow&gt;</code> or <code>POST /v1/runs</code>.
    </div>
  );
}

/** Tags that say where a run came from: left out of the Tags column (the run page shows them). */
const ORIGIN_TAG = /^(rerun-of|forked-from|parent-run|baton\.parent-span):/;

function RunsTable(props: { runs: Run[] }) {
  const [, navigate] = useLocation();
  const now = Date.now();
  return (
    <div className="table-scroll">
      <table className="runs-table" data-testid="runs-table">
        <thead>
          <tr>
            <th>Run</th>
            <th>Workflow</th>
            <th>Version</th>
            <th>Status</th>
            <th>Tags</th>
            <th>Created</th>
            <th className="num">Duration</th>
            <th className="num">Cost</th>
          </tr>
        </thead>
        <tbody>
          {props.runs.map((run) => {
            const href = `/runs/${encodeURIComponent(run.id)}`;
            const end = run.finishedAt ?? (run.startedAt === undefined ? undefined : now);
            const tags = run.tags.filter((t) => !ORIGIN_TAG.test(t));
            return (
              <tr
                key={run.id}
                className="clickable"
                data-testid="run-row"
                data-run-id={run.id}
                onClick={(e) => {
                  if ((e.target as HTMLElement).closest('a')) return;
                  navigate(href);
                }}
              >
                <td className="mono">
                  <Link href={href}>{run.id}</Link>
                </td>
                <td>
                  <Link href={`/workflows/${encodeURIComponent(run.workflow)}`}>{run.workflow}</Link>
                </td>
                <td className="mono muted">{versionLabel(run)}</td>
                <td>
                  <StatusBadge status={run.status} />
                </td>
                <td className="tags-cell">
                  {tags.slice(0, 3).map((t) => (
                    <span key={t} className="tag">
                      {t}
                    </span>
                  ))}
                  {tags.length > 3 && <span className="muted"> +{tags.length - 3}</span>}
                </td>
                <td title={formatTime(run.createdAt)}>{formatAgo(run.createdAt, now)}</td>
                <td className="num" title={run.finishedAt ? undefined : 'still going'}>
                  {end === undefined || run.startedAt === undefined
                    ? '–'
                    : formatDuration(end - run.startedAt)}
                </td>
                <td className="num">{run.costUsd === undefined ? '–' : formatUsd(run.costUsd)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** `v2` for `name@2`; the id as it is otherwise. */
export function versionLabel(run: Pick<Run, 'workflow' | 'versionId'>): string {
  const prefix = `${run.workflow}@`;
  return run.versionId.startsWith(prefix) ? `v${run.versionId.slice(prefix.length)}` : run.versionId;
}
