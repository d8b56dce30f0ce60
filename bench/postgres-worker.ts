/**
 * A worker process of the Postgres benchmark (bench/postgres.ts): opens the engine on BENCH_DATABASE_URL,
 * registers the benchmark workflows and runs a worker. It tells its parent, over IPC, which runs it
 * finished (after their commit) and, on request, when each `seq10` step started.
 *
 * Usage (forked, with an IPC channel): `postgres-worker.ts <database url>`. Environment: BENCH_CONCURRENCY
 * (default 100), BENCH_POLL_MS (the worker's default when unset), BENCH_BLOCK=1 (the `hold` step blocks
 * until the process dies).
 */
import { performance } from 'node:perf_hooks';
import { Baton } from '../src/runtime/baton.js';
import { holdState, postgresBenchWorkflows } from './workflows.js';

/** A message from the benchmark to a worker process. */
export type ToWorker = { type: 'marks' } | { type: 'held' } | { type: 'stop' };

/** A message from a worker process to the benchmark. */
export type FromWorker =
  | { type: 'ready' }
  /** Runs finished in this process: `[runId, status]`. */
  | { type: 'finished'; runs: [string, string][] }
  /** Starts of `seq10` steps since the last request: `[runId, step index, ms since the epoch]`. */
  | { type: 'marks'; marks: [string, number, number][] }
  | { type: 'held'; held: number };

const databaseUrl = process.argv[2];
const send = process.send?.bind(process);

if (databaseUrl && send) {
  let marks: [string, number, number][] = [];
  let finished: [string, string][] = [];
  const flushFinished = () => {
    if (finished.length === 0) return;
    send({ type: 'finished', runs: finished } satisfies FromWorker);
    finished = [];
  };

  const baton = await Baton.open({ databaseUrl });
  // An absolute time (not performance.now() alone) so that marks of one run taken in two processes compare.
  for (const def of postgresBenchWorkflows((runId, index) => {
    marks.push([runId, index, performance.timeOrigin + performance.now()]);
  })) {
    await baton.register(def);
  }
  baton.store.onRunFinished((run) => {
    if (finished.length === 0) setImmediate(flushFinished);
    finished.push([run.id, run.status]);
  });
  const pollMs = process.env.BENCH_POLL_MS;
  baton.worker({
    concurrency: Number(process.env.BENCH_CONCURRENCY ?? 100),
    ...(pollMs ? { pollMs: Number(pollMs) } : {}),
    onError: (error) => console.error(`[bench worker ${process.pid}]`, error),
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    if (process.connected) flushFinished();
    await baton.close();
    process.exit(0);
  };
  process.on('message', (message: ToWorker) => {
    if (message.type === 'marks') {
      send({ type: 'marks', marks } satisfies FromWorker);
      marks = [];
    } else if (message.type === 'held') {
      send({ type: 'held', held: holdState.held } satisfies FromWorker);
    } else if (message.type === 'stop') {
      void stop();
    }
  });
  // The benchmark died: do not linger.
  process.on('disconnect', () => void stop());
  send({ type: 'ready' } satisfies FromWorker);
}
