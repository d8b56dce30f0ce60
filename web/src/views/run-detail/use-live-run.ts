/**
 * A run followed live: loaded once (the run, its whole history, its version's graph), then kept up to
 * date from the event stream `GET /v1/runs/{id}/events`. A dropped stream is resumed with
 * `?after=<last seq>` after a growing pause; the `end` event stops it. Events are applied in small
 * batches so that a busy run does not re-render the page once per event.
 * @module
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Api } from '../../api/client';
import { useSession } from '../../auth/session';
import type { WorkflowGraph } from '../../components/graph/dag-types';
import type { HistoryEvent, RunWithSteps, WorkflowVersion } from '../runs/run-types';
import { TERMINAL } from '../runs/run-types';
import { applyEvents, buildRunModel, loadRunHistory, type RunModel } from './run-model';

/** Where the live stream is. */
export type StreamState = 'loading' | 'live' | 'reconnecting' | 'ended';

/** What {@link useLiveRun} answers. */
export interface LiveRun {
  run?: RunWithSteps;
  /** Every history event so far, in seq order. */
  history: HistoryEvent[];
  model?: RunModel;
  version?: WorkflowVersion;
  stream: StreamState;
  /** Why the run could not be loaded (404, 403...), or why the stream last failed. */
  error?: unknown;
  /** Bumped whenever new events arrive: a signal to refetch what depends on the run's progress. */
  tick: number;
  /** Reads the run again now (after an action). */
  refresh(): void;
}

/** Events are gathered this long before they are applied. */
const BATCH_MS = 120;
/** The run's own record is read again at most this often while events arrive. */
const RUN_REFRESH_MS = 600;
/** How often the run record is read again while the run goes on, events or not. */
const RUN_POLL_MS = 3000;
/** How long after a run's end its cost is read once more. */
const LEDGER_SETTLE_MS = 1500;

/** Loads run `id` and follows it live until it ends or the component unmounts. */
export function useLiveRun(id: string): LiveRun {
  const { api } = useSession();
  const [state, setState] = useState<Omit<LiveRun, 'refresh'>>({ history: [], stream: 'loading', tick: 0 });
  const refreshRef = useRef<() => void>(() => {});

  useEffect(() => {
    const abort = new AbortController();
    const { signal } = abort;
    let model: RunModel | undefined;
    let history: HistoryEvent[] = [];
    let pending: HistoryEvent[] = [];
    let flushTimer: ReturnType<typeof setTimeout> | undefined;
    let runTimer: ReturnType<typeof setTimeout> | undefined;
    let lastRunRead = 0;
    let poll: ReturnType<typeof setInterval> | undefined;
    setState({ history: [], stream: 'loading', tick: 0 });

    const readRun = async () => {
      lastRunRead = Date.now();
      try {
        const run = await api.get<RunWithSteps>(`/v1/runs/${encodeURIComponent(id)}`);
        if (!signal.aborted) setState((s) => ({ ...s, run }));
      } catch (err) {
        if (!signal.aborted) setState((s) => ({ ...s, error: err }));
      }
    };
    const scheduleRunRead = () => {
      if (runTimer) return;
      const wait = Math.max(0, RUN_REFRESH_MS - (Date.now() - lastRunRead));
      runTimer = setTimeout(() => {
        runTimer = undefined;
        void readRun();
      }, wait);
    };
    refreshRef.current = () => void readRun();

    const flush = () => {
      flushTimer = undefined;
      if (pending.length === 0 || !model) return;
      const batch = pending.filter((e) => e.seq > (history.at(-1)?.seq ?? 0));
      pending = [];
      if (batch.length === 0) return;
      history = [...history, ...batch];
      model = applyEvents(model, batch);
      const next = model;
      const all = history;
      setState((s) => ({ ...s, model: next, history: all, tick: s.tick + 1 }));
      scheduleRunRead();
    };

    const follow = async () => {
      let failures = 0;
      while (!signal.aborted) {
        const after = history.at(-1)?.seq ?? model?.lastSeq ?? 0;
        let ended = false;
        try {
          await api.stream(
            `/v1/runs/${encodeURIComponent(id)}/events?after=${after}`,
            (message) => {
              if (message.event === 'end') {
                ended = true;
                return;
              }
              if (message.event === 'error') return;
              const event = JSON.parse(message.data) as HistoryEvent;
              pending.push(event);
              failures = 0;
              flushTimer ??= setTimeout(flush, BATCH_MS);
            },
            signal,
          );
          if (!signal.aborted) setState((s) => ({ ...s, stream: ended ? 'ended' : 'reconnecting' }));
        } catch (err) {
          if (signal.aborted) return;
          setState((s) => ({ ...s, stream: 'reconnecting', error: err }));
        }
        if (ended || signal.aborted) {
          if (flushTimer) clearTimeout(flushTimer);
          flush();
          await readRun();
          // The gateway writes its ledger in batches: the run's cost may settle a moment after its end.
          await sleep(LEDGER_SETTLE_MS, signal);
          if (!signal.aborted) await readRun();
          return;
        }
        failures += 1;
        await sleep(Math.min(10_000, 500 * 2 ** Math.min(failures, 5)), signal);
        if (!signal.aborted) setState((s) => ({ ...s, stream: 'live' }));
      }
    };

    (async () => {
      try {
        const run = await api.get<RunWithSteps>(`/v1/runs/${encodeURIComponent(id)}`);
        const [version, events] = await Promise.all([
          versionOf(api, run).catch(() => undefined),
          loadRunHistory(api, id, { signal }),
        ]);
        if (signal.aborted) return;
        history = events;
        model = buildRunModel({
          run,
          history: events,
          ...(version ? { graph: version.graph as WorkflowGraph } : {}),
        });
        const ended = TERMINAL.has(run.status);
        setState({
          run,
          history,
          model,
          ...(version ? { version } : {}),
          stream: ended ? 'ended' : 'live',
          tick: 1,
        });
        // A finished run has nothing more to stream. While it goes on, the run record is also read
        // every few seconds: a status can change after the last event a read followed (a step's event
        // committed before the run's own update), and nothing else would read it again.
        if (!ended) {
          poll = setInterval(() => void readRun(), RUN_POLL_MS);
          await follow();
          clearInterval(poll);
        }
      } catch (err) {
        if (!signal.aborted) setState((s) => ({ ...s, error: err, stream: 'ended' }));
      }
    })();

    return () => {
      abort.abort();
      if (flushTimer) clearTimeout(flushTimer);
      if (runTimer) clearTimeout(runTimer);
      if (poll) clearInterval(poll);
    };
  }, [api, id]);

  const refresh = useCallback(() => refreshRef.current(), []);
  return { ...state, refresh };
}

async function versionOf(api: Api, run: RunWithSteps): Promise<WorkflowVersion | undefined> {
  const wf = await api.get<{ versions: WorkflowVersion[] }>(
    `/v1/workflows/${encodeURIComponent(run.workflow)}`,
  );
  return wf.versions.find((v) => v.id === run.versionId);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}
