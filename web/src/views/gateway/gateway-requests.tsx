/**
 * The tenant's recent gateway calls: filters by model, status and run (kept in the address, so a view
 * can be shared: `/gateway?run=<id>`), cursor pages of 50, the first page refreshed every few seconds
 * (later pages stay still so that rows do not shift under the reader).
 */
import { useState } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { useApiGet } from '../../api/hooks';
import { formatAgo, formatCount, formatDuration, formatTime, formatUsd } from '../../components/format';
import { ErrorBox, StatusBadge } from '../../components/ui';
import type { GatewayRequest, RequestsPage } from './gateway-types';

const PAGE_SIZE = 50;

/** The request log with its filters; `models` are the choices of the model filter. */
export function RequestsLog(props: { models: string[]; refetchMs: number; now: number }) {
  const params = new URLSearchParams(useSearch());
  const [, navigate] = useLocation();
  const model = params.get('model') ?? '';
  const status = params.get('status') ?? '';
  const run = params.get('run') ?? '';
  // The cursors of the pages before this one, to go back.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const first = cursor === undefined;
  const requests = useApiGet<RequestsPage>(
    '/v1/gateway/requests',
    { limit: PAGE_SIZE, model, status, run, cursor },
    first ? { refetchMs: props.refetchMs } : {},
  );
  const setFilter = (name: 'model' | 'status' | 'run', value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    const text = next.toString();
    navigate(`/gateway${text ? `?${text}` : ''}`, { replace: true });
    setCursors([]);
  };
  const page = requests.data;
  const next = page?.next_cursor ?? null;
  return (
    <>
      <div className="row requests-bar">
        <label>
          Model
          <select
            value={model}
            onChange={(e) => setFilter('model', e.target.value)}
            data-testid="requests-model"
          >
            <option value="">all</option>
            {(props.models.includes(model) || !model ? props.models : [...props.models, model]).map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select
            value={status}
            onChange={(e) => setFilter('status', e.target.value)}
            data-testid="requests-status"
          >
            <option value="">all</option>
            <option value="ok">ok</option>
            <option value="error">error</option>
            <option value="cancelled">cancelled</option>
          </select>
        </label>
        {run && (
          <span className="run-chip" data-testid="requests-run">
            run <span className="mono">{run}</span>{' '}
            <button
              type="button"
              className="link"
              onClick={() => setFilter('run', '')}
              aria-label="Show every run"
            >
              ×
            </button>
          </span>
        )}
        <span className="muted small requests-live">
          {first
            ? `Refreshes every ${props.refetchMs / 1000} s`
            : `Page ${cursors.length + 1}: not refreshed`}
          {requests.isFetching && ' …'}
        </span>
        <div className="row pager">
          <button type="button" disabled={first} onClick={() => setCursors((c) => c.slice(0, -1))}>
            Previous
          </button>
          <span className="muted">Page {cursors.length + 1}</span>
          <button
            type="button"
            disabled={next === null}
            onClick={() => next && setCursors((c) => [...c, next])}
            data-testid="requests-next"
          >
            Next
          </button>
        </div>
      </div>
      {requests.error ? (
        <ErrorBox error={requests.error} />
      ) : !page ? (
        <div className="muted loading-line">Loading requests…</div>
      ) : page.data.length === 0 ? (
        <div className="empty" data-testid="gateway-requests-empty">
          {model || status || run ? (
            'No calls match these filters.'
          ) : (
            <>
              No model calls yet — the <code>llm</code>, agent and plan steps of runs, and calls to{' '}
              <code>POST /v1/chat/completions</code> with a gateway key, appear here.
            </>
          )}
        </div>
      ) : (
        <RequestsTable rows={page.data} now={props.now} />
      )}
    </>
  );
}

function RequestsTable(props: { rows: GatewayRequest[]; now: number }) {
  const { now } = props;
  return (
    <div className="table-scroll">
      <table className="gateway-requests" data-testid="gateway-requests">
        <thead>
          <tr>
            <th>Time</th>
            <th>Model</th>
            <th>Status</th>
            <th className="num" title="Input tokens (of which read from the provider's cache)">
              Tokens in
            </th>
            <th className="num">Tokens out</th>
            <th className="num">Cost</th>
            <th className="num" title="Total latency (time to first token for streams)">
              Latency
            </th>
            <th className="num" title="Retries / fallbacks to another target">
              Retries
            </th>
            <th>Run / key</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr key={r.id} data-testid="gateway-request" data-route={r.route} data-status={r.status}>
              <td title={formatTime(r.at)}>{formatAgo(r.at, now)}</td>
              <td>
                <span className="mono">{r.route}</span>
                {r.target && r.target !== r.route && <span className="muted mono small"> → {r.target}</span>}
                {r.endpoint === 'embeddings' && <span className="badge"> embeddings</span>}
                {r.stream && <span className="muted small"> stream</span>}
              </td>
              <td>
                <StatusBadge status={r.status} />
                {r.errorCode && <code className="small"> {r.errorCode}</code>}
                {r.cacheHit && <span className="badge cache-badge">cache hit</span>}
              </td>
              <td className="num">
                {formatCount(r.inputTokens)}
                {r.cachedInputTokens > 0 && (
                  <span className="muted small"> ({formatCount(r.cachedInputTokens)} cached)</span>
                )}
              </td>
              <td className="num">
                {formatCount(r.outputTokens)}
                {r.reasoningTokens > 0 && (
                  <span className="muted small"> (+{formatCount(r.reasoningTokens)} reasoning)</span>
                )}
              </td>
              <td className="num">{formatUsd(r.costUsd)}</td>
              <td className="num">
                {formatDuration(r.latencyMs)}
                {r.ttftMs !== undefined && (
                  <div className="muted small">first token {formatDuration(r.ttftMs)}</div>
                )}
              </td>
              <td className={`num ${r.retries + r.fallbacks > 0 ? 'rate-warn' : 'muted'}`}>
                {r.retries} / {r.fallbacks}
              </td>
              <td className="small run-cell">
                {r.runId ? (
                  <>
                    <Link href={`/runs/${encodeURIComponent(r.runId)}`} className="mono">
                      {r.runId}
                    </Link>
                    {r.stepId && <span className="muted"> · {r.stepId}</span>}
                  </>
                ) : (
                  <span className="muted" title={r.keyId ? `gateway key bvk_${r.keyId}` : undefined}>
                    {r.keyId ? `key bvk_${r.keyId}` : '–'}
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
