/** The "New run" form: a workflow, its version, the input as JSON; submits and opens the new run. */
import { useState } from 'react';
import { useLocation } from 'wouter';
import { useApiGet } from '../../api/hooks';
import { useSession } from '../../auth/session';
import { Dialog, parseJsonInput } from './dialog';
import type { Run, WorkflowSummary } from './run-types';

/** Submits a run through `POST /v1/runs`, then goes to `/runs/<id>`; shown to keys that may `runs.submit`. */
export function NewRunDialog(props: { onClose: () => void; workflow?: string }) {
  const { api } = useSession();
  const [, navigate] = useLocation();
  const workflows = useApiGet<{ data: WorkflowSummary[] }>('/v1/workflows');
  const [workflow, setWorkflow] = useState(props.workflow ?? '');
  const [input, setInput] = useState('{}');
  const [tags, setTags] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const list = workflows.data?.data ?? [];
  const chosen = workflow || list[0]?.workflow || '';
  const parsed = parseJsonInput(input);

  const submit = async () => {
    if ('error' in parsed || !chosen) return;
    setBusy(true);
    setError(undefined);
    try {
      const tagList = tags
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      const run = await api.post<Run>('/v1/runs', {
        workflow: chosen,
        input: parsed.value,
        ...(tagList.length > 0 ? { tags: tagList } : {}),
      });
      navigate(`/runs/${encodeURIComponent(run.id)}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Dialog
      title="New run"
      confirmLabel="Submit run"
      onConfirm={submit}
      onClose={props.onClose}
      busy={busy}
      error={error ?? workflows.error}
      confirmDisabled={'error' in parsed || !chosen}
      testId="new-run-dialog"
    >
      {workflows.data && list.length === 0 ? (
        <p className="muted">
          No workflows are registered yet: register one with <code>baton workflows register</code> or{' '}
          <code>POST /v1/workflows</code>.
        </p>
      ) : (
        <div className="form-stack">
          <label>
            Workflow
            <select
              name="workflow"
              value={chosen}
              onChange={(e) => setWorkflow(e.target.value)}
              disabled={!workflows.data}
            >
              {list.map((w) => (
                <option key={w.workflow} value={w.workflow}>
                  {w.workflow} (latest v{w.latest.number})
                </option>
              ))}
            </select>
          </label>
          <label>
            Input (JSON)
            <textarea
              name="input"
              rows={10}
              value={input}
              onChange={(e) => setInput(e.target.value)}
              spellCheck={false}
            />
          </label>
          {'error' in parsed && <div className="field-error">{parsed.error}</div>}
          <label>
            Tags (comma-separated, optional)
            <input
              name="tags"
              value={tags}
              onChange={(e) => setTags(e.target.value)}
              placeholder="customer:42"
            />
          </label>
          <p className="muted small">
            The run starts on the latest version of the workflow; the API checks the input against its schema.
          </p>
        </div>
      )}
    </Dialog>
  );
}
