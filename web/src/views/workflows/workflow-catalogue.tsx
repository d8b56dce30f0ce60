/** The catalogue of registered workflows, with the last day of their latest version at a glance. */
import { Link, useLocation } from 'wouter';
import { useApiGet } from '../../api/hooks';
import { formatAgo, formatCount, formatDuration, formatTime, formatUsd } from '../../components/format';
import { ErrorBox, Loaded, Page } from '../../components/ui';
import type { CostModel, WorkflowSummary } from './workflow-types';

/** Every workflow: latest version, how many versions, and its runs and cost over the last 24 h. */
export function WorkflowCatalogue() {
  const [, navigate] = useLocation();
  const workflows = useApiGet<{ data: WorkflowSummary[] }>('/v1/workflows', undefined, { refetchMs: 15_000 });
  const costs = useApiGet<{ data: CostModel[] }>('/v1/costs', { window: '24h' }, { refetchMs: 30_000 });
  const costOf = new Map((costs.data?.data ?? []).map((c) => [c.workflow, c]));
  return (
    <Page title="Workflows" testId="workflows-view">
      <Loaded query={workflows}>
        {({ data }) =>
          data.length === 0 ? (
            <div className="card empty-state" data-testid="workflows-empty">
              No workflows registered yet. Register one with <code>baton workflows register spec.yaml</code>{' '}
              or <code>POST /v1/workflows</code>; a worker registers the workflows of its code when it starts.
            </div>
          ) : (
            <div className="card">
              <table data-testid="workflow-catalogue">
                <thead>
                  <tr>
                    <th>Workflow</th>
                    <th>Latest version</th>
                    <th className="num">Versions</th>
                    <th>Registered</th>
                    <th className="num" title="Finished runs of the latest version created in the last 24 h">
                      Runs of latest, 24 h
                    </th>
                    <th className="num" title="p95 duration of those runs">
                      p95 duration
                    </th>
                    <th className="num" title="What the model calls of those runs cost">
                      Cost, 24 h
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {[...data]
                    .sort((a, b) => a.workflow.localeCompare(b.workflow))
                    .map((w) => {
                      const cost = costOf.get(w.workflow);
                      const href = `/workflows/${encodeURIComponent(w.workflow)}`;
                      return (
                        <tr
                          key={w.workflow}
                          className="clickable"
                          data-testid="workflow-row"
                          data-workflow={w.workflow}
                          onClick={(e) => {
                            if ((e.target as HTMLElement).closest('a')) return;
                            navigate(href);
                          }}
                        >
                          <td>
                            <Link href={href} className="wf-name">
                              {w.workflow}
                            </Link>
                            {w.latest.definition.description && (
                              <div className="muted wf-desc">{String(w.latest.definition.description)}</div>
                            )}
                          </td>
                          <td className="nowrap">
                            <span className="mono">v{w.latest.number}</span>{' '}
                            <span className="muted">
                              {w.latest.label} · {w.latest.source} · {w.latest.graph.steps.length} steps
                            </span>
                          </td>
                          <td className="num">{w.versions}</td>
                          <td title={formatTime(w.latest.createdAt)}>{formatAgo(w.latest.createdAt)}</td>
                          <td className="num">{cost ? formatCount(cost.runs) : '–'}</td>
                          <td className="num">
                            {cost && cost.runs > 0 ? formatDuration(cost.durationMs.p95) : '–'}
                          </td>
                          <td className="num">
                            {cost ? (cost.usageLogged ? formatUsd(cost.totalCostUsd) : 'not logged') : '–'}
                          </td>
                        </tr>
                      );
                    })}
                </tbody>
              </table>
              {costs.error !== null && (
                <div className="muted">
                  Runs and cost unavailable: <ErrorBox error={costs.error} />
                </div>
              )}
            </div>
          )
        }
      </Loaded>
    </Page>
  );
}
