/** The graph of one workflow version, and the definition of the step selected in it. */
import { type ReactNode, useMemo } from 'react';
import { formatDuration } from '../../components/format';
import { DagGraph } from '../../components/graph/dag-graph';
import { dagOfGraph, type WorkflowGraphStep } from '../../components/graph/dag-types';
import { JsonView } from '../../components/ui';
import type { WorkflowVersion } from './workflow-types';

/** The steps of a version in order, one row per step (`data-testid="step-row"`), clickable. */
function StepTable(props: {
  steps: WorkflowGraphStep[];
  selected: string | undefined;
  onSelect: (id: string) => void;
}) {
  return (
    <table data-testid="step-table" className="step-table">
      <thead>
        <tr>
          <th>Step</th>
          <th>Kind</th>
          <th>Needs</th>
          <th className="num">Attempts</th>
          <th>Effect</th>
        </tr>
      </thead>
      <tbody>
        {props.steps.map((s) => (
          <tr
            key={s.id}
            className={`clickable${props.selected === s.id ? ' selected-row' : ''}`}
            data-testid="step-row"
            data-step-id={s.id}
            aria-selected={props.selected === s.id}
            onClick={() => props.onSelect(s.id)}
          >
            <td>
              <code>{s.id}</code>
              {s.conditional && <span className="muted"> (conditional)</span>}
            </td>
            <td>
              <span className={`kind-badge kind-${s.kind}`}>{s.kind}</span>
            </td>
            <td className="muted">{s.needs.length ? s.needs.join(', ') : 'start'}</td>
            <td className="num">{s.retry?.maxAttempts ?? 1}</td>
            <td>{effectLabel(s)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function effectLabel(s: WorkflowGraphStep): string {
  if (!s.effect) return '–';
  return s.idempotent ? 'effect, idempotent' : 'effect';
}

/** One labelled line of the inspector. */
function Field(props: { name: string; children: ReactNode }) {
  return (
    <>
      <dt>{props.name}</dt>
      <dd>{props.children}</dd>
    </>
  );
}

/** What a step is: its kind, needs, retry policy, effect flags, timeout, and the rest of its definition. */
export function StepInspector(props: {
  step: WorkflowGraphStep;
  definition: Record<string, unknown> | undefined;
  onSelect: (id: string) => void;
}) {
  const { step, definition } = props;
  const { id: _id, kind: _kind, needs: _needs, ...rest } = definition ?? {};
  return (
    <div data-testid="step-inspector" data-step-id={step.id}>
      <h3 className="inspector-title">
        <code>{step.id}</code> <span className={`kind-badge kind-${step.kind}`}>{step.kind}</span>
      </h3>
      <dl className="inspector-fields">
        <Field name="Needs">
          {step.needs.length === 0
            ? 'nothing: starts with the run'
            : step.needs.map((n, i) => (
                <span key={n}>
                  {i > 0 && ', '}
                  <button type="button" className="link" onClick={() => props.onSelect(n)}>
                    {n}
                  </button>
                </span>
              ))}
        </Field>
        {step.conditional && <Field name="Conditional">runs only when a branch chooses it</Field>}
        <Field name="Retry">
          {step.retry
            ? `${step.retry.maxAttempts} attempts, ${formatDuration(step.retry.initialDelayMs)} first delay ×${step.retry.backoff}, at most ${formatDuration(step.retry.maxDelayMs)}, jitter ${Math.round(step.retry.jitter * 100)}%`
            : 'none'}
        </Field>
        <Field name="Effect">
          {step.effect
            ? step.idempotent
              ? 'yes, idempotent (safe to repeat)'
              : 'yes, not idempotent (repeats are guarded)'
            : 'no'}
        </Field>
        <Field name="Compensable">{step.compensable ? 'yes (undone on a saga rollback)' : 'no'}</Field>
        <Field name="Timeout">
          {step.timeoutMs === undefined ? 'none per attempt' : formatDuration(step.timeoutMs)}
        </Field>
        {step.map && (
          <Field name="Fan-out">
            {step.map.concurrency} at once, at most {step.map.maxItems} items, on item failure:{' '}
            {step.map.onItemFailure}
          </Field>
        )}
      </dl>
      {Object.keys(rest).length > 0 && (
        <>
          <h4 className="inspector-sub">Definition</h4>
          <JsonView value={rest} maxChars={20_000} />
        </>
      )}
    </div>
  );
}

/**
 * A version's graph with its step inspector. Selecting a node shows that step's definition.
 */
export function VersionGraph(props: {
  version: WorkflowVersion;
  selected: string | undefined;
  onSelect: (id: string | undefined) => void;
}) {
  const { version } = props;
  const steps = version.graph.steps;
  const step = steps.find((s) => s.id === props.selected);
  const definition = version.definition.steps?.find((s) => s.id === props.selected);
  const dag = useMemo(() => dagOfGraph(version.graph), [version.graph]);
  return (
    <div data-testid="version-graph">
      <DagGraph
        nodes={dag.nodes}
        edges={dag.edges}
        {...(props.selected === undefined ? {} : { selected: props.selected })}
        onSelect={props.onSelect}
        height={300}
        empty="This version has no steps."
      />
      <div className="graph-layout">
        <StepTable steps={steps} selected={props.selected} onSelect={props.onSelect} />
        <aside className="inspector-pane card">
          {step ? (
            <StepInspector step={step} definition={definition} onSelect={props.onSelect} />
          ) : (
            <div className="muted">
              Select a step in the graph or the table to see its definition: kind, needs, retry, effect,
              timeout.
            </div>
          )}
        </aside>
      </div>
    </div>
  );
}
