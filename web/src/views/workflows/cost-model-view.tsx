/** The cost model of one version: tokens, cost and duration per run at p50/p95/p99, and the top steps. */
import { useApiGet } from '../../api/hooks';
import { formatCount, formatDuration, formatPercent, formatTime, formatUsd } from '../../components/format';
import { Loaded } from '../../components/ui';
import { COST_WINDOWS, type CostModel, type Percentiles } from './workflow-types';

function Row(props: { name: string; unit: string; values: Percentiles; format: (n: number) => string }) {
  return (
    <tr>
      <td>
        {props.name} <span className="muted">{props.unit}</span>
      </td>
      {(['p50', 'p95', 'p99'] as const).map((p) => (
        <td key={p} className="num" data-testid={`cost-${props.name.toLowerCase()}-${p}`}>
          {props.format(props.values[p])}
        </td>
      ))}
    </tr>
  );
}

/** `GET /v1/costs?workflow=&version=&window=` for one version, with a window picker. */
export function CostModelView(props: {
  name: string;
  versionId: string;
  window: string;
  onWindow: (w: string) => void;
}) {
  const query = useApiGet<{ data: CostModel[] }>(
    '/v1/costs',
    { workflow: props.name, version: props.versionId, window: props.window },
    { refetchMs: 15_000 },
  );
  const windowLabel = COST_WINDOWS.find((w) => w.value === props.window)?.label.toLowerCase() ?? props.window;
  return (
    <div data-testid="cost-model">
      <div className="row cost-toolbar">
        <label>
          Window
          <select name="window" value={props.window} onChange={(e) => props.onWindow(e.target.value)}>
            {COST_WINDOWS.map((w) => (
              <option key={w.value} value={w.value}>
                {w.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Loaded query={query}>
        {({ data }) => {
          const m = data[0];
          if (!m || m.runs === 0) {
            return (
              <div className="muted empty-state" data-testid="cost-empty">
                No finished run of {props.versionId} in the {windowLabel}. Submit one with{' '}
                <code>baton run {props.name}</code> or <code>POST /v1/runs</code>; the model covers finished
                runs.
              </div>
            );
          }
          return (
            <>
              <div className="grid grid-4 cost-kpis">
                <div className="card">
                  <div className="muted">Finished runs</div>
                  <div className="kpi" data-testid="cost-runs">
                    {formatCount(m.runs)}
                  </div>
                </div>
                <div className="card">
                  <div className="muted">Total cost</div>
                  <div className="kpi" data-testid="cost-total">
                    {m.usageLogged ? formatUsd(m.totalCostUsd) : '–'}
                  </div>
                </div>
                <div className="card">
                  <div className="muted">Cost per run, p50</div>
                  <div className="kpi">{m.usageLogged ? formatUsd(m.costUsd.p50) : '–'}</div>
                </div>
                <div className="card">
                  <div className="muted">Duration, p95</div>
                  <div className="kpi">{formatDuration(m.durationMs.p95)}</div>
                </div>
              </div>
              <div className="grid grid-2">
                <div className="card">
                  <h2 className="card-title">Per run</h2>
                  <table data-testid="cost-percentiles">
                    <thead>
                      <tr>
                        <th />
                        <th className="num">p50</th>
                        <th className="num">p95</th>
                        <th className="num">p99</th>
                      </tr>
                    </thead>
                    <tbody>
                      <Row name="Tokens" unit="in + out" values={m.tokens} format={formatCount} />
                      <Row name="Cost" unit="USD" values={m.costUsd} format={formatUsd} />
                      <Row
                        name="Duration"
                        unit="start to finish"
                        values={m.durationMs}
                        format={formatDuration}
                      />
                    </tbody>
                  </table>
                  <div className="muted cost-note" title={`${formatTime(m.since)} – ${formatTime(m.until)}`}>
                    Runs created in the {windowLabel}.
                    {!m.usageLogged &&
                      ' No gateway request log on this server: tokens and cost are not recorded.'}
                    {m.unattributedCostUsd > 0 &&
                      ` ${formatUsd(m.unattributedCostUsd)} of calls named no step.`}
                  </div>
                </div>
                <div className="card">
                  <h2 className="card-title">Most expensive steps</h2>
                  {m.topSteps.length === 0 ? (
                    <div className="muted" data-testid="cost-no-steps">
                      No model call through the gateway in these runs: their steps cost nothing to run here.
                    </div>
                  ) : (
                    <table data-testid="cost-top-steps">
                      <thead>
                        <tr>
                          <th>Step</th>
                          <th className="num">Calls</th>
                          <th className="num">Tokens</th>
                          <th className="num">Cost</th>
                          <th>Share</th>
                        </tr>
                      </thead>
                      <tbody>
                        {m.topSteps.map((s) => (
                          <tr key={s.stepId}>
                            <td>
                              <code>{s.stepId}</code>
                            </td>
                            <td className="num">{formatCount(s.calls)}</td>
                            <td className="num">{formatCount(s.tokens)}</td>
                            <td className="num">{formatUsd(s.costUsd)}</td>
                            <td>
                              <div className="share">
                                <div className="share-bar">
                                  <div style={{ width: `${Math.round(s.share * 100)}%` }} />
                                </div>
                                <span className="num">{formatPercent(s.share)}</span>
                              </div>
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  )}
                </div>
              </div>
            </>
          );
        }}
      </Loaded>
    </div>
  );
}
