/**
 * Follows runs live: polls their history, prints a line per event as it happens (one merged stream
 * for several runs), and returns when every run has finished or the caller stops following.
 * @module
 */
import { type Run, TERMINAL_RUN_STATUSES } from '../core/types.js';
import type { Baton } from '../runtime/baton.js';
import { EventRenderer, TERMINAL_EVENTS } from './event-lines.js';
import { humanDuration, type Output, prettyJson, statusText } from './format.js';

/** Options of {@link followRuns}. */
export interface FollowOptions {
  /** @defaultValue 100 */
  pollMs?: number;
  /** A label printed before each run's lines (the workflow name in `baton demo`). */
  label?: (runId: string) => string;
  /** Stop following (the runs go on). */
  signal?: AbortSignal;
}

/** Polls this many times before checking the run row too, in case its last events were missed. */
const STATUS_CHECK_EVERY = 20;

/** Prints the runs' events until each has finished; returns their final state (or latest, if stopped). */
export async function followRuns(
  baton: Baton,
  runIds: string[],
  out: Output,
  options: FollowOptions = {},
): Promise<Run[]> {
  const pollMs = options.pollMs ?? 100;
  const width = Math.max(0, ...runIds.map((id) => options.label?.(id).length ?? 0));
  const state = new Map(
    runIds.map((id) => [
      id,
      { seq: 0, done: false, renderer: new EventRenderer(id, out.paint, options.label?.(id).padEnd(width)) },
    ]),
  );
  for (let tick = 1; !options.signal?.aborted; tick++) {
    for (const [id, s] of state) {
      if (s.done) continue;
      for (const event of await baton.history(id, s.seq)) {
        s.seq = event.seq;
        for (const line of s.renderer.render(event)) out.line(line);
        if (TERMINAL_EVENTS.has(event.type)) s.done = true;
      }
      for (const line of s.renderer.progress(Date.now())) out.line(line);
      if (!s.done && tick % STATUS_CHECK_EVERY === 0)
        s.done = TERMINAL_RUN_STATUSES.has((await baton.getRun(id)).status);
    }
    if ([...state.values()].every((s) => s.done)) break;
    await sleep(pollMs, options.signal);
  }
  return Promise.all(runIds.map((id) => baton.getRun(id)));
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The end of a followed run: its status, duration, and its output or error. */
export function printRunResult(run: Run, out: Output): void {
  const p = out.paint;
  const took =
    run.finishedAt !== undefined
      ? ` in ${humanDuration(run.finishedAt - (run.startedAt ?? run.createdAt))}`
      : '';
  out.line();
  out.line(`${p.bold(`run ${run.id}`)} ${statusText(run.status, p)}${took}`);
  if (run.status === 'succeeded') {
    out.line(p.dim('output:'));
    for (const line of prettyJson(run.output)) out.line(line);
  } else if (run.error) {
    out.line(`${p.red(`error ${run.error.code}:`)} ${run.error.message}`);
  }
}

/** Stops following on Ctrl-C (the run goes on in the store); the returned function removes the handler. */
export function abortOnInterrupt(controller: AbortController): () => void {
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
