/**
 * One workflow (`/workflows/:name`): its versions, and for a chosen version its graph with a step
 * inspector, a diff against another version, its cost model, and its raw definition. The choices live
 * in the query string (`?version=2&tab=diff&from=1&to=2`), so a view can be linked to.
 */
import { Link, useSearchParams } from 'wouter';
import { useApiGet } from '../../api/hooks';
import { formatAgo, formatTime } from '../../components/format';
import { JsonView, Loaded, Page } from '../../components/ui';
import { CostModelView } from './cost-model-view';
import { VersionDiffView } from './version-diff';
import { VersionGraph } from './version-graph';
import type { WorkflowVersion } from './workflow-types';

const TABS = [
  { id: 'graph', label: 'Graph' },
  { id: 'diff', label: 'Diff' },
  { id: 'cost', label: 'Cost model' },
  { id: 'definition', label: 'Definition' },
] as const;
type Tab = (typeof TABS)[number]['id'];

function VersionsTable(props: {
  versions: WorkflowVersion[];
  selected: number;
  onSelect: (n: number) => void;
}) {
  return (
    <table data-testid="version-list">
      <thead>
        <tr>
          <th>Version</th>
          <th>Label</th>
          <th>Source</th>
          <th className="num">Steps</th>
          <th>Hash</th>
          <th>Registered</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {[...props.versions].reverse().map((v, i) => (
          <tr
            key={v.id}
            className={`clickable${v.number === props.selected ? ' selected-row' : ''}`}
            data-testid="version-row"
            data-version={v.number}
            aria-selected={v.number === props.selected}
            onClick={() => props.onSelect(v.number)}
          >
            <td>
              <span className="mono">v{v.number}</span>
              {i === 0 && <span className="badge latest-badge">latest</span>}
            </td>
            <td>{v.label}</td>
            <td>{v.source}</td>
            <td className="num">{v.graph.steps.length}</td>
            <td className="mono muted">{v.hash}</td>
            <td title={formatTime(v.createdAt)}>{formatAgo(v.createdAt)}</td>
            <td>
              <Link
                href={`/runs?workflow=${encodeURIComponent(v.workflow)}&version=${encodeURIComponent(v.id)}`}
                onClick={(e) => e.stopPropagation()}
              >
                Runs
              </Link>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A workflow's versions and, for the chosen one, graph, diff, cost model and definition. */
export function WorkflowDetail(props: { name: string }) {
  const [params, setParams] = useSearchParams();
  const query = useApiGet<{ workflow: string; versions: WorkflowVersion[] }>(
    `/v1/workflows/${encodeURIComponent(props.name)}`,
    undefined,
    { refetchMs: 15_000 },
  );
  const set = (changes: Record<string, string | undefined>) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        for (const [k, v] of Object.entries(changes)) {
          if (v === undefined) next.delete(k);
          else next.set(k, v);
        }
        return next;
      },
      { replace: true },
    );

  return (
    <Page
      title={
        <>
          <Link href="/workflows" className="crumb">
            Workflows
          </Link>{' '}
          / {props.name}
        </>
      }
      testId="workflow-detail"
    >
      <Loaded query={query}>
        {({ versions }) => {
          const latest = versions[versions.length - 1];
          if (!latest) {
            return (
              <div className="card empty-state">
                Workflow {props.name} has no version. <Link href="/workflows">Back to the catalogue</Link>.
              </div>
            );
          }
          const asked = Number(params.get('version'));
          const version = versions.find((v) => v.number === asked) ?? latest;
          const tab: Tab = TABS.some((t) => t.id === params.get('tab'))
            ? (params.get('tab') as Tab)
            : 'graph';
          // By default a version is compared with the one before it; the first one with the one after.
          const previous = versions.filter((v) => v.number < version.number).pop();
          const next = versions.find((v) => v.number > version.number);
          const pair = previous
            ? [previous.number, version.number]
            : [version.number, next?.number ?? version.number];
          const from = Number(params.get('from')) || (pair[0] as number);
          const to = Number(params.get('to')) || (pair[1] as number);
          return (
            <>
              {latest.definition.description && (
                <p className="muted wf-lead">{String(latest.definition.description)}</p>
              )}
              <div className="card">
                <h2 className="card-title">Versions ({versions.length})</h2>
                <VersionsTable
                  versions={versions}
                  selected={version.number}
                  onSelect={(n) =>
                    set({ version: String(n), step: undefined, from: undefined, to: undefined })
                  }
                />
              </div>
              <div className="card">
                <div className="tabs" role="tablist">
                  {TABS.map((t) => (
                    <button
                      key={t.id}
                      type="button"
                      role="tab"
                      aria-selected={tab === t.id}
                      className={tab === t.id ? 'active' : ''}
                      onClick={() => set({ tab: t.id })}
                    >
                      {t.label}
                    </button>
                  ))}
                  <span className="muted tab-version">
                    v{version.number} · {version.label}
                  </span>
                </div>
                {tab === 'graph' && (
                  <VersionGraph
                    version={version}
                    selected={params.get('step') ?? undefined}
                    onSelect={(id) => set({ step: id })}
                  />
                )}
                {tab === 'diff' && (
                  <VersionDiffView
                    name={props.name}
                    versions={versions}
                    from={from}
                    to={to}
                    onChange={(f, t) => set({ from: String(f), to: String(t) })}
                  />
                )}
                {tab === 'cost' && (
                  <CostModelView
                    name={props.name}
                    versionId={version.id}
                    window={params.get('window') ?? '24h'}
                    onWindow={(w) => set({ window: w })}
                  />
                )}
                {tab === 'definition' && (
                  <div data-testid="version-definition">
                    <p className="muted">
                      {version.source === 'spec'
                        ? 'The spec as registered.'
                        : 'A description of the code version: function bodies appear as hashes (code:…), so a changed body shows in a diff.'}
                    </p>
                    <JsonView value={version.definition} />
                  </div>
                )}
              </div>
            </>
          );
        }}
      </Loaded>
    </Page>
  );
}
