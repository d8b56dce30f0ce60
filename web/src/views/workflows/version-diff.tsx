/** What changed between two versions of a workflow: steps added, removed, changed field by field. */
import { useApiGet } from '../../api/hooks';
import { Loaded } from '../../components/ui';
import type { FieldChange, VersionDiff, WorkflowVersion } from './workflow-types';

function show(value: unknown): string {
  if (value === undefined) return '(none)';
  return typeof value === 'string' ? value : JSON.stringify(value, null, 1);
}

function Changes(props: { changes: FieldChange[] }) {
  return (
    <table className="diff-fields">
      <thead>
        <tr>
          <th>Field</th>
          <th>From</th>
          <th>To</th>
        </tr>
      </thead>
      <tbody>
        {props.changes.map((c) => (
          <tr key={c.field}>
            <td>
              <code>{c.field}</code>
            </td>
            <td className="diff-from">
              <pre>{show(c.from)}</pre>
            </td>
            <td className="diff-to">
              <pre>{show(c.to)}</pre>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Two version pickers and the diff between them (`GET /v1/workflows/{name}/diff`). */
export function VersionDiffView(props: {
  name: string;
  versions: WorkflowVersion[];
  from: number;
  to: number;
  onChange: (from: number, to: number) => void;
}) {
  const { versions, from, to } = props;
  const same = from === to;
  const query = useApiGet<VersionDiff>(
    same ? undefined : `/v1/workflows/${encodeURIComponent(props.name)}/diff`,
    { from, to },
  );
  const picker = (label: string, value: number, set: (n: number) => void) => (
    <label>
      {label}
      <select name={label.toLowerCase()} value={value} onChange={(e) => set(Number(e.target.value))}>
        {[...versions].reverse().map((v) => (
          <option key={v.id} value={v.number}>
            v{v.number} · {v.label}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <div data-testid="version-diff">
      <div className="row diff-pickers">
        {picker('From', from, (n) => props.onChange(n, to))}
        <span className="diff-arrow">→</span>
        {picker('To', to, (n) => props.onChange(from, n))}
      </div>
      {versions.length < 2 ? (
        <div className="muted empty-state">
          This workflow has one version. Register a changed spec (<code>POST /v1/workflows</code>) or deploy
          changed code to get a second one to compare.
        </div>
      ) : same ? (
        <div className="muted empty-state">Pick two different versions.</div>
      ) : (
        <Loaded query={query}>
          {(d) => {
            const nothing = d.added.length + d.removed.length + d.changed.length + d.workflow.length === 0;
            if (nothing) {
              return (
                <div className="muted empty-state" data-testid="diff-none">
                  No difference between {d.from} and {d.to}.
                </div>
              );
            }
            return (
              <div className="diff-body">
                <div className="row diff-summary">
                  <span className={`diff-count${d.added.length ? ' diff-added-count' : ''}`}>
                    +{d.added.length} added
                  </span>
                  <span className={`diff-count${d.removed.length ? ' diff-removed-count' : ''}`}>
                    −{d.removed.length} removed
                  </span>
                  <span className={`diff-count${d.changed.length ? ' diff-changed-count' : ''}`}>
                    ~{d.changed.length} changed
                  </span>
                  {d.workflow.length > 0 && (
                    <span className="diff-count">{d.workflow.length} workflow fields changed</span>
                  )}
                </div>
                {d.added.map((id) => (
                  <div key={id} className="diff-step diff-added" data-testid="diff-added" data-step-id={id}>
                    + step <code>{id}</code> added
                  </div>
                ))}
                {d.removed.map((id) => (
                  <div
                    key={id}
                    className="diff-step diff-removed"
                    data-testid="diff-removed"
                    data-step-id={id}
                  >
                    − step <code>{id}</code> removed
                  </div>
                ))}
                {d.changed.map((c) => (
                  <div
                    key={c.stepId}
                    className="diff-step diff-changed"
                    data-testid="diff-changed"
                    data-step-id={c.stepId}
                  >
                    <div>
                      ~ step <code>{c.stepId}</code> changed
                    </div>
                    <Changes changes={c.changes} />
                  </div>
                ))}
                {d.workflow.length > 0 && (
                  <div className="diff-step diff-changed" data-testid="diff-workflow">
                    <div>~ workflow fields</div>
                    <Changes changes={d.workflow} />
                  </div>
                )}
              </div>
            );
          }}
        </Loaded>
      )}
    </div>
  );
}
