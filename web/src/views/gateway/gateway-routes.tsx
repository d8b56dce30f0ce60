/** The gateway's routes and their targets, with each target's circuit breaker. */
import { formatAgo, formatCount, formatDuration, formatPercent, formatTime } from '../../components/format';
import { StatusBadge } from '../../components/ui';
import type { GatewayRoute, GatewayTarget, RoutesAnswer } from './gateway-types';

const STRATEGY: Record<GatewayRoute['strategy'], string> = {
  fallback: 'first healthy target, in order',
  weighted: 'spread by weight',
  latency: 'fastest target first',
  cheapest: 'cheapest target first',
};

/** One table row per target, the route's cells spanning its targets. */
export function RoutesTable(props: { routes: RoutesAnswer; now: number }) {
  const { routes, now } = props;
  if (routes.data.length === 0) {
    return (
      <div className="empty" data-testid="gateway-routes-empty">
        No routes configured — add <code>gateway.routes</code> to the config (see docs/gateway.md).
      </div>
    );
  }
  const minutes = Math.round((routes.until - routes.since) / 60_000);
  return (
    <div className="table-scroll">
      <table className="gateway-routes" data-testid="gateway-routes">
        <thead>
          <tr>
            <th>Route</th>
            <th className="num" title={`Your tenant's calls in the last ${minutes} min`}>
              Calls, {minutes} min
            </th>
            <th className="num">Error rate</th>
            <th>Target</th>
            <th className="num">Weight</th>
            <th>Circuit breaker</th>
            <th className="num" title="Smoothed latency of recent successful calls">
              Latency
            </th>
            <th className="num" title="USD per million tokens, input / output">
              Price /M
            </th>
          </tr>
        </thead>
        <tbody>
          {routes.data.map((route) =>
            route.targets.map((target, i) => (
              <tr
                key={`${route.alias}:${target.model}`}
                className={i === 0 ? 'route-first' : undefined}
                data-testid={i === 0 ? 'gateway-route' : undefined}
                data-alias={route.alias}
              >
                {i === 0 && <RouteCells route={route} span={route.targets.length} />}
                <TargetCells target={target} now={now} />
              </tr>
            )),
          )}
        </tbody>
      </table>
    </div>
  );
}

function RouteCells(props: { route: GatewayRoute; span: number }) {
  const { route, span } = props;
  const rate = route.recent.errorRate;
  return (
    <>
      <td rowSpan={span} className="route-cell">
        <div className="route-alias mono">{route.alias}</div>
        <div className="muted small" title={STRATEGY[route.strategy]}>
          {route.strategy}
          {route.cacheTtlSeconds ? ` · cached ${formatDuration(route.cacheTtlSeconds * 1000)}` : ''}
        </div>
        {route.description && <div className="muted small">{route.description}</div>}
        {route.when?.map((rule) => (
          <div key={rule.route} className="muted small">
            if{' '}
            {Object.entries(rule.metadata)
              .map(([k, v]) => `${k}=${v}`)
              .join(', ')}{' '}
            → {rule.route}
          </div>
        ))}
      </td>
      <td rowSpan={span} className="num">
        {formatCount(route.recent.calls)}
      </td>
      <td
        rowSpan={span}
        className={`num ${rate === null ? 'muted' : rate > 0.05 ? 'rate-bad' : rate > 0 ? 'rate-warn' : ''}`}
        data-testid="route-error-rate"
      >
        {rate === null ? '–' : `${formatPercent(rate)} (${route.recent.errors})`}
      </td>
    </>
  );
}

function TargetCells(props: { target: GatewayTarget; now: number }) {
  const { target, now } = props;
  const { breaker } = target;
  return (
    <>
      <td className="mono nowrap" data-testid="gateway-target" data-model={target.model}>
        {target.model}
        {target.offline && (
          <span
            className="badge offline-badge"
            title="Deterministic offline model, not a real LLM: no provider key is configured"
          >
            offline
          </span>
        )}
      </td>
      <td className="num">{target.weight}</td>
      <td className="breaker-cell" data-testid="breaker" data-model={target.model}>
        <div>
          <StatusBadge status={breaker.state} />
          {breaker.since !== undefined && (
            <span className="muted small" title={formatTime(breaker.since)}>
              {' '}
              since {formatAgo(breaker.since, now)}
            </span>
          )}
        </div>
        <div
          className={`small ${breaker.consecutiveFailures > 0 ? 'rate-warn' : 'muted'}`}
          title="Retryable failures in a row / failures in a row that open the breaker"
        >
          {breaker.consecutiveFailures} / {breaker.threshold}{' '}
          {breaker.threshold === 1 ? 'failure' : 'failures'}
          {breaker.lastFailure && (
            <span title={formatTime(breaker.lastFailure.at)}>
              {' '}
              · last <code>{breaker.lastFailure.code}</code> {formatAgo(breaker.lastFailure.at, now)}
            </span>
          )}
        </div>
        {breaker.retryAt !== undefined && (
          <div className="muted small" title={formatTime(breaker.retryAt)}>
            {breaker.retryAt > now
              ? `trial call in ${formatDuration(breaker.retryAt - now)}`
              : 'trial call on the next request'}
          </div>
        )}
      </td>
      <td className="num" title={target.latencyMs === undefined ? 'no successful call yet' : undefined}>
        {target.latencyMs === undefined ? <span className="muted">–</span> : formatDuration(target.latencyMs)}
      </td>
      <td className="num">
        {target.price ? (
          `$${target.price.input} / $${target.price.output}`
        ) : (
          <span className="muted">unpriced</span>
        )}
      </td>
    </>
  );
}
