/**
 * The overview (`/`): the tenant's health (success rate, p95 duration, error rate, against
 * red/amber/green thresholds), throughput and cost over time, and what failed. One request,
 * `GET /v1/stats`, refreshed every 10 s; the window (1 h, 24 h, 7 d) is kept in the address.
 * @module
 */
import { Link, useLocation, useSearch } from 'wouter';
import { useApiGet } from '../../api/hooks';
import { useSession } from '../../auth/session';
import {
  formatAgo,
  formatCount,
  formatDuration,
  formatPercent,
  formatTime,
  formatUsd,
} from '../../components/format';
import { Card, ErrorBox, Page } from '../../components/ui';
import { bucketLabel, isEmpty, lightClass, type Stats, spanOf, THRESHOLDS, WINDOWS } from './overview-model';
import { TimeChart } from './time-chart';
import './overview.css';

const REFRESH_MS = 10_000;

/** The overview view. */
export function OverviewView() {
  const session = useSession();
  const search = useSearch();
  const [, navigate] = useLocation();
  const asked = new URLSearchParams(search).get('window');
  const window = WINDOWS.find((w) => w.value === asked)?.value ?? '1h';
  const stats = useApiGet<Stats>(
    session.can('stats.get') ? '/v1/stats' : undefined,
    { window },
    {
      refetchMs: REFRESH_MS,
    },
  );

  const selector = (
    <fieldset className="ov-windows" aria-label="Time window" data-testid="overview-window">
      {WINDOWS.map((w) => (
        <button
          key={w.value}
          type="button"
          className={w.value === window ? 'active' : ''}
          aria-pressed={w.value === window}
          onClick={() => navigate(w.value === '1h' ? '/' : `/?window=${w.value}`)}
        >
          {w.label}
        </button>
      ))}
    </fieldset>
  );

  if (!session.can('stats.get')) {
    return (
      <Page title="Overview" testId="overview-view">
        <div className="error">This key’s roles cannot read the overview (stats.get).</div>
      </Page>
    );
  }
  return (
    <Page title="Overview" actions={selector} testId="overview-view">
      {stats.error ? (
        <ErrorBox error={stats.error} />
      ) : stats.data === undefined ? (
        <div className="muted loading-line">Loading…</div>
      ) : (
        <OverviewBody stats={stats.data} refreshing={stats.isFetching} />
      )}
    </Page>
  );
}

function OverviewBody(props: { stats: Stats; refreshing: boolean }) {
  const { stats } = props;
  const now = stats.until;
  return (
    <div className="ov" data-testid="overview-body">
      <div className="muted ov-meta" title={`${formatTime(stats.since)} – ${formatTime(stats.until)}`}>
        Since {formatTime(stats.since)} · buckets of {bucketLabel(stats.bucketMs)} · refreshed every{' '}
        {REFRESH_MS / 1000} s{props.refreshing ? ' · refreshing…' : ''}
      </div>
      {isEmpty(stats) && (
        <div className="card empty ov-empty" data-testid="overview-empty">
          No runs in this window yet — submit one from the <Link href="/runs">Runs</Link> page, with{' '}
          <code>npx baton run &lt;workflow&gt;</code> or with <code>POST /v1/runs</code>. The figures below
          fill in as runs finish.
        </div>
      )}
      <HealthRow stats={stats} />
      <ThroughputRow stats={stats} />
      <FailureRow stats={stats} now={now} />
    </div>
  );
}

function Kpi(props: {
  title: string;
  value: string;
  className: string;
  tip: string;
  sub: React.ReactNode;
  testId: string;
}) {
  return (
    <Card className="ov-kpi" testId={props.testId}>
      <h2 className="card-title" title={props.tip}>
        {props.title}{' '}
        <span className="ov-info" aria-hidden="true">
          i
        </span>
      </h2>
      <div className={props.className} data-testid={`${props.testId}-value`} title={props.tip}>
        {props.value}
      </div>
      <div className="muted ov-sub">{props.sub}</div>
    </Card>
  );
}

function HealthRow({ stats }: { stats: Stats }) {
  const h = stats.health;
  const p95 = h.durationMs?.p95 ?? null;
  const rate = h.errorRate.rate;
  return (
    <section className="grid grid-4 ov-row" aria-label="Health" data-testid="overview-health">
      <Kpi
        title="Success rate"
        testId="kpi-success"
        value={formatPercent(h.successRate)}
        className={lightClass(THRESHOLDS.successRate.light(h.successRate))}
        tip={THRESHOLDS.successRate.text}
        sub={
          <span data-testid="kpi-success-counts">
            {formatCount(h.finished)} finished: {formatCount(h.succeeded)} succeeded, {formatCount(h.failed)}{' '}
            failed, {formatCount(h.cancelled)} cancelled
          </span>
        }
      />
      <Kpi
        title="p95 duration"
        testId="kpi-p95"
        value={formatDuration(p95)}
        className={lightClass(THRESHOLDS.p95Duration.light(p95))}
        tip={THRESHOLDS.p95Duration.text}
        sub={h.durationMs ? `p50 ${formatDuration(h.durationMs.p50)}` : 'no run finished in the window'}
      />
      <Kpi
        title="Error rate (5 min)"
        testId="kpi-errors"
        value={formatPercent(rate)}
        className={lightClass(THRESHOLDS.errorRate.light(rate))}
        tip={THRESHOLDS.errorRate.text}
        sub={
          h.errorRate.finished === 0
            ? 'no run finished in the last 5 min'
            : `${formatCount(h.errorRate.failed)} of ${formatCount(h.errorRate.finished)} runs failed`
        }
      />
      <Card className="ov-kpi" testId="kpi-active">
        <h2 className="card-title">Active now</h2>
        <div className="ov-active">
          {(['running', 'waiting', 'queued'] as const).map((s) => (
            <Link key={s} href={`/runs?status=${s}`} className="ov-active-item" data-testid={`active-${s}`}>
              <span className="kpi num">{formatCount(h.active[s])}</span>
              <span className="muted">{s}</span>
            </Link>
          ))}
        </div>
      </Card>
    </section>
  );
}

const COLORS = { succeeded: '#1f9d55', failed: '#d64545', tokens: '#805ad5', cost: '#3182ce' };

function ThroughputRow({ stats }: { stats: Stats }) {
  const span = spanOf(stats);
  const started = stats.series.reduce((n, b) => n + b.started, 0);
  const per = bucketLabel(stats.bucketMs);
  const noUsage = !stats.usageLogged
    ? 'This server has no gateway: tokens and cost are not recorded.'
    : undefined;
  return (
    <section
      className="grid grid-3 ov-row"
      aria-label="Throughput and cost"
      data-testid="overview-throughput"
    >
      <Card className="ov-chart-card">
        <ChartHead
          title="Runs"
          testId="rate-runs"
          hint={`${started} runs started in the window`}
          rate={formatRate(started / span.minutes)}
          unit="min"
        />
        <TimeChart
          testId="chart-runs"
          label={`Runs finished per ${per}`}
          buckets={stats.series}
          bucketMs={stats.bucketMs}
          kind="bars"
          format={formatCount}
          series={[
            { label: 'succeeded', color: COLORS.succeeded, value: (b) => b.succeeded },
            { label: 'failed', color: COLORS.failed, value: (b) => b.failed },
            { label: 'started', color: '', value: (b) => b.started, hoverOnly: true },
          ]}
        />
        <div className="muted ov-legend">
          <span className="ov-swatch" style={{ background: COLORS.succeeded }} /> succeeded{' '}
          <span className="ov-swatch" style={{ background: COLORS.failed }} /> failed · runs finished per{' '}
          {per}
        </div>
      </Card>
      <Card className="ov-chart-card">
        <ChartHead
          title="Tokens"
          testId="rate-tokens"
          hint={noUsage ?? `${stats.usage.tokens} tokens in the window`}
          rate={stats.usageLogged ? formatRate(stats.usage.tokens / span.hours) : '–'}
          unit="h"
        />
        <TimeChart
          testId="chart-tokens"
          label={`Tokens per ${per}`}
          buckets={stats.series}
          bucketMs={stats.bucketMs}
          kind="area"
          format={formatCount}
          series={[
            { label: 'tokens', color: COLORS.tokens, value: (b) => b.tokens },
            { label: 'model calls', color: '', value: (b) => b.calls, hoverOnly: true },
          ]}
        />
        <div className="muted ov-legend">
          {noUsage ?? `input + output tokens of the gateway’s calls, per ${per}`}
        </div>
      </Card>
      <Card className="ov-chart-card">
        <ChartHead
          title="Cost"
          testId="rate-cost"
          hint={noUsage ?? `${formatUsd(stats.usage.costUsd)} in the window`}
          rate={stats.usageLogged ? formatUsd(stats.usage.costUsd / span.hours) : '–'}
          unit="h"
        />
        <TimeChart
          testId="chart-cost"
          label={`Cost per ${per}`}
          buckets={stats.series}
          bucketMs={stats.bucketMs}
          kind="area"
          format={formatUsd}
          series={[{ label: 'cost', color: COLORS.cost, value: (b) => b.costUsd }]}
        />
        <div className="muted ov-legend">
          {noUsage ?? `${formatUsd(stats.usage.costUsd)} in the window, per ${per} above`}
        </div>
      </Card>
    </section>
  );
}

/** A chart card's title and its rate over the window (`12 / min`), the rate's detail on hover. */
function ChartHead(props: { title: string; testId: string; hint: string; rate: string; unit: string }) {
  return (
    <div className="ov-chart-head">
      <h2 className="card-title">{props.title}</h2>
      <span className="ov-rate" data-testid={props.testId} title={props.hint}>
        <strong className="num">{props.rate}</strong> <span className="muted">/ {props.unit}</span>
      </span>
    </div>
  );
}

/** `0.35`, `12`, `1.2k`: two significant digits below 10, whole numbers above. */
function formatRate(n: number): string {
  if (n > 0 && n < 10) return n.toPrecision(2);
  return formatCount(Math.round(n));
}

function FailureRow({ stats, now }: { stats: Stats; now: number }) {
  const failedRuns = `/runs?status=failed&window=${stats.window}`;
  const total = stats.errors.reduce((n, e) => n + e.count, 0);
  return (
    <section className="grid grid-2 ov-row ov-failures" aria-label="Failures" data-testid="overview-failures">
      <Card title="Errors by type" testId="errors-by-type">
        {stats.errors.length === 0 ? (
          <div className="muted ov-none">No run failed in this window.</div>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Error code</th>
                <th className="num ov-w-count">Runs</th>
                <th className="ov-share-col">Share</th>
                <th className="ov-w-run">Example</th>
              </tr>
            </thead>
            <tbody>
              {stats.errors.map((e) => (
                <tr key={e.code} data-testid="error-type" data-code={e.code}>
                  <td title={e.code}>
                    <Link href={failedRuns} className="mono" title="The failed runs of this window">
                      {e.code}
                    </Link>
                  </td>
                  <td className="num">{formatCount(e.count)}</td>
                  <td className="ov-share-col">
                    <span className="ov-share">
                      <span style={{ width: `${(100 * e.count) / Math.max(1, total)}%` }} />
                    </span>
                  </td>
                  <td title={e.exampleRunId}>
                    <Link href={`/runs/${e.exampleRunId}`} className="mono">
                      {e.exampleRunId}
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {stats.errors.length > 0 && (
          <div className="ov-more">
            <Link href={failedRuns}>All failed runs of the window →</Link>
          </div>
        )}
      </Card>
      <Card title="Failing runs, last hour" testId="failing-runs">
        {stats.failures.length === 0 ? (
          <div className="muted ov-none">No run failed in the last hour.</div>
        ) : (
          <table>
            <thead>
              <tr>
                <th className="ov-w-run">Run</th>
                <th>Error</th>
                <th className="num ov-w-ago">Finished</th>
              </tr>
            </thead>
            <tbody>
              {stats.failures.map((f) => (
                <tr key={f.id} data-testid="failing-run" data-run-id={f.id}>
                  <td title={`${f.id} (${f.workflow})`}>
                    <Link href={`/runs/${f.id}`} className="mono">
                      {f.id}
                    </Link>
                    <div className="ov-small">
                      <Link href={`/workflows/${encodeURIComponent(f.workflow)}`} className="muted">
                        {f.workflow}
                      </Link>
                    </div>
                  </td>
                  <td title={`${f.error.code}: ${f.error.message}`}>
                    <span className="mono">{f.error.code}</span>
                    <div className="muted ov-small">{f.error.message}</div>
                  </td>
                  <td className="num" title={formatTime(f.finishedAt)}>
                    {formatAgo(f.finishedAt, now)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </section>
  );
}
