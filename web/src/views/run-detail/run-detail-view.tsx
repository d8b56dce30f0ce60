/**
 * The run page (`/runs/:id`): the header, the graph of the run and its timeline (live over the event
 * stream), the inspector of the selected step (`?step=` in the URL, so a link can point at a step),
 * and tabs for the trace, the raw history and the run's input and output. Actions: replay, fork,
 * rerun, cancel, each only when the key may call it.
 * @module
 */
import { useEffect, useMemo, useState } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { ApiError } from '../../api/client';
import { useApiGet } from '../../api/hooks';
import { DagGraph } from '../../components/graph/dag-graph';
import { Card, ErrorBox, JsonView, Page } from '../../components/ui';
import type { GraphStep, RunWithSteps, Span } from '../runs/run-types';
import { HistoryPanel } from './history-panel';
import { RunActions } from './run-actions';
import { RunHeader } from './run-header';
import { dagOfRun, FINALIZE_ROW, type RunModel } from './run-model';
import { SpanTree } from './span-tree';
import { StepInspector } from './step-inspector';
import { Timeline } from './timeline';
import { useLiveRun } from './use-live-run';
import './run-detail.css';

type Tab = 'trace' | 'history' | 'io';

/** The page of run `id`. */
export function RunDetailView(props: { id?: string }) {
  const id = props.id ?? '';
  const live = useLiveRun(id);
  const search = useSearch();
  const [, navigate] = useLocation();
  const [tab, setTab] = useState<Tab>('trace');
  const ended = live.stream === 'ended';
  const [bigTrace, setBigTrace] = useState(false);
  // A trace of thousands of spans is megabytes: read it less often while the run goes on.
  const spans = useApiGet<{ data: Span[] }>(`/v1/runs/${encodeURIComponent(id)}/spans`, undefined, {
    ...(ended ? {} : { refetchMs: bigTrace ? 15_000 : 3000 }),
  });
  const spanCount = spans.data?.data.length ?? 0;
  useEffect(() => setBigTrace(spanCount > 2000), [spanCount]);
  // Spans are written in the background: read them once more a moment after the run ends.
  const refetchSpans = spans.refetch;
  useEffect(() => {
    if (!ended) return;
    const t = setTimeout(() => void refetchSpans(), 1500);
    return () => clearTimeout(t);
  }, [ended, refetchSpans]);

  const { run, model } = live;
  // `?step=` holds a timeline row's key: a step id, or `<stepId>#<item>` for an item of a map step.
  const chosen = new URLSearchParams(search).get('step') ?? undefined;
  const selectedKey = chosen ?? (model ? defaultStep(model) : undefined);
  const selected = selectedKey === FINALIZE_ROW ? undefined : selectedKey?.split('#')[0];
  const graphSteps: GraphStep[] = useMemo(() => live.version?.graph.steps ?? [], [live.version]);
  // The model changes identity with every applied batch; the graph's nodes only need redrawing then.
  const dag = useMemo(() => (model ? dagOfRun(model) : undefined), [model]);
  const select = (key: string) =>
    navigate(`/runs/${encodeURIComponent(id)}?step=${encodeURIComponent(key)}`, { replace: true });

  if (!run) {
    return (
      <Page title={<span className="mono">Run {id}</span>} testId="run-detail">
        {live.error ? (
          <>
            <ErrorBox error={live.error} />
            {live.error instanceof ApiError && live.error.status === 404 && (
              <p className="muted">
                No run with this id in your tenant. <Link href="/runs">Back to the runs</Link>
              </p>
            )}
          </>
        ) : (
          <div className="muted loading-line">Loading the run…</div>
        )}
      </Page>
    );
  }

  return (
    <Page
      title={
        <span>
          <Link href="/runs" className="muted crumb">
            Runs
          </Link>{' '}
          / <span className="mono">{run.id}</span>
        </span>
      }
      testId="run-detail"
      actions={
        <RunActions
          run={run}
          steps={graphSteps}
          {...(selected ? { selectedStep: selected } : {})}
          onChanged={live.refresh}
        />
      }
    >
      <RunHeader run={run} spans={spans.data?.data} stream={live.stream} />
      {live.stream === 'reconnecting' && live.error !== undefined && (
        <div className="muted small">
          The event stream dropped ({(live.error as Error).message}); resuming from the last event…
        </div>
      )}

      <Card title="Graph" testId="run-graph">
        {dag ? (
          <DagGraph
            nodes={dag.nodes}
            edges={dag.edges}
            {...(selected ? { selected } : {})}
            onSelect={select}
            height={dag.nodes.length > 12 ? 420 : 280}
            empty="The run's version has no steps."
          />
        ) : (
          <div className="muted loading-line">Loading the history…</div>
        )}
      </Card>

      <Card title="Timeline" testId="run-timeline">
        {model ? (
          <Timeline
            model={model}
            {...(selectedKey ? { selected: selectedKey } : {})}
            onSelect={select}
            height={480}
          />
        ) : (
          <div className="muted loading-line">Loading the history…</div>
        )}
      </Card>

      {selected && (
        <Card title="Step inspector">
          <StepInspector
            run={run}
            stepId={selected}
            graphStep={graphSteps.find((s) => s.id === selected)}
            {...(itemOf(selectedKey) === undefined ? {} : { item: itemOf(selectedKey) as number })}
            spans={spans.data?.data}
            live={!ended}
          />
        </Card>
      )}

      <div className="card">
        <div className="tabs" role="tablist">
          {(
            [
              ['trace', 'Trace'],
              ['history', `History (${live.history.length})`],
              ['io', 'Input & output'],
            ] as const
          ).map(([t, label]) => (
            <button
              key={t}
              type="button"
              role="tab"
              aria-selected={tab === t}
              className={tab === t ? 'active' : ''}
              onClick={() => setTab(t)}
              data-testid={`tab-${t}`}
            >
              {label}
            </button>
          ))}
        </div>
        {tab === 'trace' &&
          (spans.error ? (
            <ErrorBox error={spans.error} />
          ) : !spans.data ? (
            <div className="muted loading-line">Loading the trace…</div>
          ) : (
            <SpanTree
              spans={spans.data.data}
              testId="run-trace"
              empty="No spans: tracing is off on this server, or the run's spans are not written yet."
            />
          ))}
        {tab === 'history' && (
          <HistoryPanel runId={run.id} history={live.history} {...(selected ? { stepId: selected } : {})} />
        )}
        {tab === 'io' && <RunIo run={run} />}
      </div>
    </Page>
  );
}

function RunIo(props: { run: RunWithSteps }) {
  return (
    <div className="grid grid-2" data-testid="run-io">
      <section>
        <h4>Input</h4>
        <JsonView value={props.run.input} />
      </section>
      <section>
        <h4>Output</h4>
        {props.run.output === undefined ? (
          <div className="muted small">No output{props.run.finishedAt === undefined ? ' yet' : ''}.</div>
        ) : (
          <JsonView value={props.run.output} />
        )}
      </section>
    </div>
  );
}

/** The step worth looking at first: a failed one, else a waiting one, else a running one, else the first. */
function defaultStep(model: RunModel): string | undefined {
  const rows = model.steps.filter((r) => r.key !== FINALIZE_ROW);
  for (const status of ['failed', 'waiting', 'running'] as const) {
    const row = rows.find((r) => r.status === status);
    if (row) return row.stepId;
  }
  return rows[0]?.stepId;
}

/** The item index of a timeline key `<stepId>#<item>`; undefined for a step's key. */
function itemOf(key: string | undefined): number | undefined {
  const hash = key?.lastIndexOf('#') ?? -1;
  if (!key || hash < 0) return undefined;
  const n = Number(key.slice(hash + 1));
  return Number.isInteger(n) ? n : undefined;
}
