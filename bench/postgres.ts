/**
 * Postgres benchmarks: the engine on Postgres with 1, 2 and 4 worker processes (bench/postgres-worker.ts)
 * while this process submits runs through the store. Every scenario starts on a freshly created database.
 * Prints one figure per line as `w<workers>_<name> value unit`, then a table with the command behind it.
 *
 *   npx tsx bench/postgres.ts                                   # everything, with 1, 2 and 4 workers
 *   npm run bench:postgres -- --only seq --workers 2            # the same through npm
 *   npx tsx bench/postgres.ts --only seq,idle --workers 2       # seq, idle, takeover, children, map, timers
 *   BENCH_IDLE_S=10 BENCH_SETTLE_S=3 npx tsx bench/postgres.ts  # quick and rough
 *
 * Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/baton_bench; the database is
 * dropped and created again, through the `postgres` database of the same server), BENCH_RUNS (1000),
 * BENCH_WARMUP (300), BENCH_LANES (1 and 50), BENCH_IDLE_S (60), BENCH_SETTLE_S (11), BENCH_PROBE_S (5),
 * BENCH_CONCURRENCY (100 tasks per worker), BENCH_POLL_MS, BENCH_TAKEOVER (1000), BENCH_CHILDREN (1000),
 * BENCH_MAP (10000), BENCH_TIMERS (10000).
 *
 * Transactions are counted from `pg_stat_database` (xact_commit + xact_rollback of the bench database),
 * read from a connection to another database so that reading does not count. A backend publishes its
 * counts at most once a second while busy and up to 10 s after it goes idle (PG 15), so each count is
 * read after BENCH_SETTLE_S seconds of quiet, and the workers' idle traffic during that quiet (measured
 * just before, over BENCH_PROBE_S seconds) is subtracted. (pg_stat_force_next_flush() would not help:
 * it flushes only the calling backend's counts, not those of the workers' connections.)
 *
 * Targets (not asserted): ≥3,000 transitions/s with 2 workers, ≤2 transactions per transition, takeover
 * ≤10 s, 1,000 child runs ≤1 s. For scale, DBOS: ~360 steps/s one at a time, ~800 with 50 in flight.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { Baton } from '../src/runtime/baton.js';
import { formatFigure, listFlag, percentile, print, sleep } from './common.js';
import type { FromWorker, ToWorker } from './postgres-worker.js';
import { KIDS, postgresBenchWorkflows } from './workflows.js';

const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/baton_bench';
const database = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
const adminUrl = Object.assign(new URL(databaseUrl), { pathname: '/postgres' }).toString();

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const RUNS = env('BENCH_RUNS', 1000);
const WARMUP = env('BENCH_WARMUP', 300);
const IDLE_S = env('BENCH_IDLE_S', 60);
const SETTLE_S = env('BENCH_SETTLE_S', 11);
const PROBE_S = env('BENCH_PROBE_S', 5);
const TAKEOVER = env('BENCH_TAKEOVER', 1000);
const MAP = env('BENCH_MAP', 10_000);
const TIMERS = env('BENCH_TIMERS', 10_000);

const SCENARIOS = ['seq', 'idle', 'takeover', 'children', 'map', 'timers'];
const only = listFlag('only');
for (const s of only) {
  if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario "${s}"; known: ${SCENARIOS.join(', ')}`);
}
const wants = (name: string) => only.length === 0 || only.includes(name);
const workerCounts = (listFlag('workers').length ? listFlag('workers') : ['1', '2', '4']).map(Number);

/** Figures by name, then by worker count, for the closing table. */
const figures = new Map<string, { unit: string; byWorkers: Map<number, number> }>();

function record(workers: number, name: string, value: number, unit: string): void {
  print(`w${workers}_${name}`, value, unit);
  const row = figures.get(name) ?? { unit, byWorkers: new Map<number, number>() };
  figures.set(name, row);
  row.byWorkers.set(workers, value);
}

// --- the database and its statistics -------------------------------------------------------------

const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();

async function freshDatabase(): Promise<void> {
  const quoted = `"${database.replaceAll('"', '""')}"`;
  await admin.query(`DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${quoted}`);
}

/** Committed plus rolled-back transactions of the bench database, as published so far. */
async function transactions(): Promise<number> {
  await admin.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await admin.query<{ n: string }>(
    'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1',
    [database],
  );
  return Number(rows[0]?.n ?? Number.NaN);
}

async function connections(): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
    [database],
  );
  return rows[0]?.n ?? Number.NaN;
}

/**
 * The transactions of a stretch of work: the counter after `work` and a settling pause, less the counter
 * before it and less the idle traffic of the pause (at the rate measured just before).
 */
async function countTransactions(work: () => Promise<void>): Promise<{ total: number; idlePerS: number }> {
  await sleep(SETTLE_S * 1000);
  const probeStart = await transactions();
  const probeAt = performance.now();
  await sleep(PROBE_S * 1000);
  const before = await transactions();
  const idlePerS = PROBE_S > 0 ? (before - probeStart) / ((performance.now() - probeAt) / 1000) : 0;
  await work();
  const doneAt = performance.now();
  await sleep(SETTLE_S * 1000);
  const after = await transactions();
  const quietS = (performance.now() - doneAt) / 1000;
  return { total: after - before - idlePerS * quietS, idlePerS };
}

/** Whether pg_stat_statements is loaded (it needs shared_preload_libraries). */
async function statementsLoaded(): Promise<boolean> {
  const { rows } = await admin.query<{ setting: string }>(
    "SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries'",
  );
  return (rows[0]?.setting ?? '').includes('pg_stat_statements');
}

// --- worker processes ------------------------------------------------------------------------------

type Waiter = { resolve: (status: string) => void; reject: (error: Error) => void };

/** The worker processes of one scenario, and the runs they report finished. */
class Fleet {
  readonly processes: ChildProcess[] = [];
  /** Finished runs nobody waited for yet, with their status. */
  private readonly finished = new Map<string, string>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly counters = new Set<{ n: number; resolve: () => void; reject: (e: Error) => void }>();
  private readonly replies = new Map<ChildProcess, Map<string, (m: FromWorker) => void>>();
  private readonly leaving = new Set<ChildProcess>();
  private failure: Error | undefined;
  /** Runs reported finished since the last {@link reset} (a run reported twice counts once). */
  private readonly seen = new Set<string>();
  count = 0;

  /** Starts `n` worker processes and waits until each has registered the workflows and started. */
  async add(n: number, extraEnv: Record<string, string> = {}): Promise<ChildProcess[]> {
    return Promise.all(Array.from({ length: n }, () => this.spawn(extraEnv)));
  }

  private spawn(extraEnv: Record<string, string>): Promise<ChildProcess> {
    const child = fork(new URL('./postgres-worker.ts', import.meta.url), [databaseUrl], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...extraEnv },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.processes.push(child);
    this.replies.set(child, new Map());
    return new Promise((resolve, reject) => {
      child.on('message', (message: FromWorker) => {
        if (message.type === 'ready') resolve(child);
        else if (message.type === 'finished') this.onFinished(message.runs);
        else {
          const reply = this.replies.get(child)?.get(message.type);
          this.replies.get(child)?.delete(message.type);
          reply?.(message);
        }
      });
      child.on('exit', (code, signal) => {
        const error = new Error(`bench worker ${child.pid} exited (${signal ?? code}) unexpectedly`);
        reject(error);
        if (!this.leaving.has(child)) this.fail(error);
      });
    });
  }

  private onFinished(runs: [string, string][]): void {
    for (const [id, status] of runs) {
      if (this.seen.has(id)) continue;
      this.seen.add(id);
      this.count++;
      const waiter = this.waiters.get(id);
      if (waiter) {
        this.waiters.delete(id);
        waiter.resolve(status);
      } else {
        this.finished.set(id, status);
      }
    }
    for (const c of this.counters) {
      if (this.count >= c.n) {
        this.counters.delete(c);
        c.resolve();
      }
    }
  }

  private fail(error: Error): void {
    this.failure = error;
    for (const w of this.waiters.values()) w.reject(error);
    this.waiters.clear();
    for (const c of this.counters) c.reject(error);
    this.counters.clear();
  }

  /** Resolves with the status of a run when a worker reports it finished. */
  waitFor(runId: string, timeoutMs = 120_000): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    const status = this.finished.get(runId);
    if (status !== undefined) {
      this.finished.delete(runId);
      return Promise.resolve(status);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(runId);
        reject(new Error(`run ${runId} did not finish within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(runId, {
        resolve: (s) => {
          clearTimeout(timer);
          resolve(s);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  /** Resolves when `n` runs have finished since the last {@link reset}. */
  untilCount(n: number, timeoutMs: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.count >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const entry = {
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.counters.delete(entry);
        reject(new Error(`${this.count} of ${n} runs finished within ${timeoutMs} ms`));
      }, timeoutMs);
      this.counters.add(entry);
    });
  }

  reset(): void {
    this.finished.clear();
    this.seen.clear();
    this.count = 0;
  }

  private ask<T extends ToWorker['type'] & FromWorker['type']>(
    child: ChildProcess,
    type: T,
  ): Promise<Extract<FromWorker, { type: T }>> {
    return new Promise((resolve) => {
      this.replies.get(child)?.set(type, resolve as (m: FromWorker) => void);
      child.send({ type } satisfies ToWorker);
    });
  }

  /** Every worker's `seq10` step starts since the last call. */
  async marks(): Promise<[string, number, number][]> {
    const all = await Promise.all(this.processes.map((c) => this.ask(c, 'marks')));
    return all.flatMap((m) => m.marks);
  }

  async held(child: ChildProcess): Promise<number> {
    return (await this.ask(child, 'held')).held;
  }

  kill(child: ChildProcess): void {
    this.leaving.add(child);
    child.kill('SIGKILL');
  }

  /** Stops every worker cleanly (SIGKILL after 15 s). */
  async stop(): Promise<void> {
    await Promise.all(
      this.processes.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        this.leaving.add(child);
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.send({ type: 'stop' } satisfies ToWorker);
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

/** A fresh database, an engine in this process (no worker) to submit with, and `workers` worker processes. */
async function withFleet(
  workers: number,
  fn: (baton: Baton, fleet: Fleet) => Promise<void>,
  options: { start?: boolean } = {},
): Promise<void> {
  await freshDatabase();
  const baton = await Baton.open({ databaseUrl });
  for (const def of postgresBenchWorkflows()) await baton.register(def);
  const fleet = new Fleet();
  try {
    if (options.start !== false) await fleet.add(workers);
    await fn(baton, fleet);
  } finally {
    await fleet.stop();
    await baton.close();
  }
}

/** Creates a run straight through the store: one transaction, which also resolves the latest version. */
async function createRun(baton: Baton, workflow: string, input: unknown): Promise<string> {
  const { run } = await baton.store.createRun({ workflow, input });
  return run.id;
}

/** Creates `total` runs, `batch` at a time. */
async function createRuns(baton: Baton, workflow: string, total: number, batch = 100): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < total; i += batch) {
    ids.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(batch, total - i) }, () => createRun(baton, workflow, {})),
      )),
    );
  }
  return ids;
}

// --- scenarios -----------------------------------------------------------------------------------

/** 1–3. `seq10` runs one at a time and 50 in flight: transitions/s, step-to-step latency, transactions. */
async function sequential(workers: number): Promise<void> {
  const lanes = process.env.BENCH_LANES ? [Number(process.env.BENCH_LANES)] : [1, 50];
  await withFleet(workers, async (baton, fleet) => {
    const drive = async (total: number, inFlight: number) => {
      let submitted = 0;
      const lane = async () => {
        while (submitted < total) {
          submitted++;
          const id = await createRun(baton, 'seq10', {});
          const status = await fleet.waitFor(id);
          if (status !== 'succeeded') throw new Error(`run ${id} ${status}`);
        }
      };
      await Promise.all(Array.from({ length: inFlight }, lane));
    };
    for (const inFlight of lanes) {
      await drive(WARMUP, inFlight);
      await fleet.marks();
      let seconds = 0;
      const { total: xacts, idlePerS } = await countTransactions(async () => {
        const start = performance.now();
        await drive(RUNS, inFlight);
        seconds = (performance.now() - start) / 1000;
      });
      const gaps = stepGaps(await fleet.marks());
      const transitions = RUNS * 10;
      const tag = inFlight === 1 ? 'seq_one_at_a_time' : `seq_${inFlight}_in_flight`;
      record(workers, `${tag}_transitions_per_s`, transitions / seconds, 'transitions/s');
      record(workers, `${tag}_runs_per_s`, RUNS / seconds, 'runs/s');
      record(workers, `${tag}_step_to_step_p50`, percentile(gaps, 50), 'ms');
      record(workers, `${tag}_step_to_step_p99`, percentile(gaps, 99), 'ms');
      record(workers, `${tag}_xacts_per_transition`, xacts / transitions, 'xacts');
      record(workers, `${tag}_idle_xacts_subtracted_per_s`, idlePerS, 'xacts/s');
    }
  });
}

/** Gaps between the starts of consecutive steps of each run (sorted). */
function stepGaps(marks: [string, number, number][]): number[] {
  const byRun = new Map<string, number[]>();
  for (const [runId, index, at] of marks) {
    const starts = byRun.get(runId) ?? [];
    byRun.set(runId, starts);
    starts[index] = at;
  }
  const gaps: number[] = [];
  for (const starts of byRun.values()) {
    for (let i = 2; i < starts.length; i++) {
      const a = starts[i - 1];
      const b = starts[i];
      if (a !== undefined && b !== undefined) gaps.push(b - a);
    }
  }
  return gaps.sort((x, y) => x - y);
}

/**
 * 4. The workers running with nothing to do: transactions per second on the bench database, and
 * statements per second when pg_stat_statements is loaded (it needs shared_preload_libraries).
 */
async function idle(workers: number): Promise<void> {
  await withFleet(
    workers,
    async (_baton, fleet) => {
      const statements = await statementsLoaded();
      let stmtClient: pg.Client | undefined;
      const calls = async () => {
        const { rows } = await (stmtClient as pg.Client).query<{ n: string }>(
          'SELECT coalesce(sum(calls), 0) AS n FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())',
        );
        return Number(rows[0]?.n);
      };
      if (statements) {
        stmtClient = new pg.Client({ connectionString: databaseUrl });
        await stmtClient.connect();
        await stmtClient.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      }
      // This process's own connections (its engine submits nothing here) are not the workers'.
      const own = await connections();
      await fleet.add(workers);
      await sleep(SETTLE_S * 1000);
      record(workers, 'idle_worker_connections', (await connections()) - own, 'connections');
      const x0 = await transactions();
      const c0 = statements ? await calls() : 0;
      const start = performance.now();
      await sleep(IDLE_S * 1000);
      const x1 = await transactions();
      const c1 = statements ? await calls() : 0;
      const seconds = (performance.now() - start) / 1000;
      // The first read of pg_stat_statements is one transaction and one call on the bench database.
      const mine = statements ? 1 : 0;
      record(workers, 'idle_xacts_per_s', (x1 - x0 - mine) / seconds, 'xacts/s');
      if (statements) record(workers, 'idle_statements_per_s', (c1 - c0 - mine) / seconds, 'statements/s');
      else console.log('# idle: pg_stat_statements is not loaded; transactions only');
      await stmtClient?.end();
    },
    { start: false },
  );
}

/** 5. SIGKILL a worker holding TAKEOVER in-flight runs; time until the other workers have finished them all. */
async function takeover(workers: number): Promise<void> {
  await withFleet(
    workers,
    async (baton, fleet) => {
      const [holder] = await fleet.add(1, { BENCH_BLOCK: '1', BENCH_CONCURRENCY: String(TAKEOVER) });
      if (!holder) throw new Error('no holder');
      await createRuns(baton, 'hold', TAKEOVER);
      const deadline = Date.now() + 120_000;
      while ((await fleet.held(holder)) < TAKEOVER) {
        if (Date.now() > deadline) throw new Error(`the holder took ${await fleet.held(holder)} runs`);
        await sleep(50);
      }
      await fleet.add(workers);
      fleet.reset();
      const killed = performance.now();
      fleet.kill(holder);
      await fleet.untilCount(TAKEOVER, 300_000);
      record(workers, `takeover_${TAKEOVER}_runs_resumed`, (performance.now() - killed) / 1000, 's');
    },
    { start: false },
  );
}

/** 6. A parent with KIDS child-run steps: from submit to the parent finishing (cold workers, then warm). */
async function children(workers: number): Promise<void> {
  await withFleet(workers, async (baton, fleet) => {
    for (const tag of ['cold', 'warm']) {
      const start = performance.now();
      const id = await createRun(baton, `kids${KIDS}`, {});
      const status = await fleet.waitFor(id, 300_000);
      if (status !== 'succeeded') throw new Error(`fan-out parent ${id} ${status}`);
      record(workers, `children_${KIDS}_${tag}`, (performance.now() - start) / 1000, 's');
    }
  });
}

/** 7a. One run mapping over MAP items with concurrency 100. */
async function map(workers: number): Promise<void> {
  await withFleet(workers, async (baton, fleet) => {
    const start = performance.now();
    const id = await createRun(baton, 'fanout', { n: MAP });
    const status = await fleet.waitFor(id, 600_000);
    if (status !== 'succeeded') throw new Error(`map run ${id} ${status}`);
    record(workers, `map_${MAP}_items_c100_total`, (performance.now() - start) / 1000, 's');
  });
}

/** 7b. TIMERS runs, each sleeping 1 s on a durable timer then running one step. */
async function timers(workers: number): Promise<void> {
  await withFleet(workers, async (baton, fleet) => {
    fleet.reset();
    const start = performance.now();
    await createRuns(baton, 'nap', TIMERS);
    const submitted = performance.now();
    await fleet.untilCount(TIMERS, 600_000);
    const end = performance.now();
    record(workers, `timers_${TIMERS}_submit`, (submitted - start) / 1000, 's');
    record(workers, `timers_${TIMERS}_completion`, (end - start) / 1000, 's');
    record(workers, `timers_${TIMERS}_after_last_submit`, (end - submitted) / 1000, 's');
  });
}

// --- main ----------------------------------------------------------------------------------------

const command = [
  ...Object.entries(process.env)
    .filter(([k]) => k.startsWith('BENCH_'))
    .map(([k, v]) => `${k}=${v}`),
  'npx tsx bench/postgres.ts',
  ...process.argv.slice(2),
].join(' ');
const { rows: versionRows } = await admin.query<{ v: string }>(
  "SELECT current_setting('server_version') AS v",
);
console.log(`# ${command}`);
console.log(`cores ${availableParallelism()} cores`);
console.log(`postgres ${versionRows[0]?.v} server_version`);

const scenarios: [string, (workers: number) => Promise<void>][] = [
  ['seq', sequential],
  ['idle', idle],
  ['takeover', takeover],
  ['children', children],
  ['map', map],
  ['timers', timers],
];
try {
  for (const workers of workerCounts) {
    for (const [name, run] of scenarios) if (wants(name)) await run(workers);
  }
} finally {
  await admin.end();
}

const nameWidth = Math.max(6, ...[...figures.keys()].map((k) => k.length));
const unitWidth = Math.max(4, ...[...figures.values()].map((r) => r.unit.length));
console.log(`\n# ${command}`);
console.log(
  [
    'figure'.padEnd(nameWidth),
    'unit'.padEnd(unitWidth),
    ...workerCounts.map((w) => `w=${w}`.padStart(9)),
  ].join('  '),
);
for (const [name, row] of figures) {
  const cells = workerCounts.map((w) => {
    const v = row.byWorkers.get(w);
    return (v === undefined ? '-' : formatFigure(v)).padStart(9);
  });
  console.log([name.padEnd(nameWidth), row.unit.padEnd(unitWidth), ...cells].join('  '));
}
console.log(
  '# targets: ≥3,000 transitions/s with 2 workers; ≤2 xacts per transition; takeover ≤10 s; 1,000 children ≤1 s',
);
