/** The runs list's filter controls. Selects and status chips apply at once; text fields on Enter or blur. */
import { type FormEvent, useEffect, useState } from 'react';
import { useApiGet } from '../../api/hooks';
import { hasFilters, parseFilters, RUN_STATUSES, type RunFilters, TIME_WINDOWS } from './run-filters';
import type { WorkflowSummary, WorkflowVersion } from './run-types';

/** Filters for `GET /v1/runs`; `onChange` receives the whole new set. */
export function RunFiltersBar(props: { filters: RunFilters; onChange: (next: RunFilters) => void }) {
  const { filters, onChange } = props;
  const workflows = useApiGet<{ data: WorkflowSummary[] }>('/v1/workflows');
  const versions = useApiGet<{ versions: WorkflowVersion[] }>(
    filters.workflow ? `/v1/workflows/${encodeURIComponent(filters.workflow)}` : undefined,
  );
  // Text fields are drafts until applied, so that typing does not fire a request per key.
  const [draft, setDraft] = useState({
    tag: filters.tag,
    minCost: filters.minCost,
    maxCost: filters.maxCost,
  });
  useEffect(() => {
    setDraft({ tag: filters.tag, minCost: filters.minCost, maxCost: filters.maxCost });
  }, [filters.tag, filters.minCost, filters.maxCost]);
  const set = (patch: Partial<RunFilters>) => onChange({ ...filters, ...patch });
  const applyDraft = (e?: FormEvent) => {
    e?.preventDefault();
    if (draft.tag !== filters.tag || draft.minCost !== filters.minCost || draft.maxCost !== filters.maxCost) {
      set({ tag: draft.tag.trim(), minCost: draft.minCost.trim(), maxCost: draft.maxCost.trim() });
    }
  };
  // The API ANDs `waiting_for_approval` with the other statuses (a narrowing of `waiting`), where
  // the chips read as OR: it is offered alone.
  const toggleStatus = (s: string) => {
    if (filters.status.includes(s)) return set({ status: filters.status.filter((x) => x !== s) });
    if (s === 'waiting_for_approval') return set({ status: [s] });
    return set({ status: [...filters.status.filter((x) => x !== 'waiting_for_approval'), s] });
  };
  const workflowNames = (workflows.data?.data ?? []).map((w) => w.workflow);
  if (filters.workflow && !workflowNames.includes(filters.workflow)) workflowNames.push(filters.workflow);

  return (
    <form className="card runs-filters" onSubmit={applyDraft} data-testid="runs-filters">
      <div className="row filters-row">
        <label>
          Workflow
          <select
            name="workflow"
            value={filters.workflow}
            onChange={(e) => set({ workflow: e.target.value, version: '' })}
          >
            <option value="">All workflows</option>
            {workflowNames.map((w) => (
              <option key={w} value={w}>
                {w}
              </option>
            ))}
          </select>
        </label>
        <label>
          Version
          <select
            name="version"
            value={filters.version}
            onChange={(e) => set({ version: e.target.value })}
            disabled={!filters.workflow}
            title={filters.workflow ? undefined : 'Choose a workflow first'}
          >
            <option value="">All versions</option>
            {(versions.data?.versions ?? [])
              .slice()
              .reverse()
              .map((v) => (
                <option key={v.id} value={v.id}>
                  v{v.number} {v.label ? `(${v.label})` : ''}
                </option>
              ))}
            {filters.version && !versions.data?.versions.some((v) => v.id === filters.version) && (
              <option value={filters.version}>{filters.version}</option>
            )}
          </select>
        </label>
        <label>
          Created
          <select name="window" value={filters.window} onChange={(e) => set({ window: e.target.value })}>
            <option value="">Any time</option>
            {Object.entries(TIME_WINDOWS).map(([k, w]) => (
              <option key={k} value={k}>
                {w.label}
              </option>
            ))}
            <option value="custom">Between…</option>
          </select>
        </label>
        {filters.window === 'custom' && (
          <>
            <label>
              From
              <input
                type="datetime-local"
                name="after"
                value={filters.after}
                onChange={(e) => set({ after: e.target.value })}
              />
            </label>
            <label>
              To
              <input
                type="datetime-local"
                name="before"
                value={filters.before}
                onChange={(e) => set({ before: e.target.value })}
              />
            </label>
          </>
        )}
        <label>
          Tag
          <input
            name="tag"
            value={draft.tag}
            placeholder="customer:42"
            onChange={(e) => setDraft({ ...draft, tag: e.target.value })}
            onBlur={() => applyDraft()}
          />
        </label>
        <label>
          Cost ($)
          <span className="row cost-range">
            <input
              name="minCost"
              inputMode="decimal"
              value={draft.minCost}
              placeholder="min"
              onChange={(e) => setDraft({ ...draft, minCost: e.target.value })}
              onBlur={() => applyDraft()}
            />
            <span className="muted">–</span>
            <input
              name="maxCost"
              inputMode="decimal"
              value={draft.maxCost}
              placeholder="max"
              onChange={(e) => setDraft({ ...draft, maxCost: e.target.value })}
              onBlur={() => applyDraft()}
            />
          </span>
        </label>
        {/* Enter in a text field submits the form, which applies the drafts. */}
        <button type="submit" hidden>
          Apply
        </button>
        {hasFilters(filters) && (
          <button type="button" className="link clear-filters" onClick={() => onChange(parseFilters(''))}>
            Clear filters
          </button>
        )}
      </div>
      <fieldset className="row status-chips">
        <legend className="muted small">Status</legend>
        {RUN_STATUSES.map((s) => (
          <button
            key={s}
            type="button"
            className={`chip${filters.status.includes(s) ? ' chip-on' : ''}`}
            aria-pressed={filters.status.includes(s)}
            data-status-filter={s}
            onClick={() => toggleStatus(s)}
          >
            {s.replaceAll('_', ' ')}
          </button>
        ))}
      </fieldset>
    </form>
  );
}
