/**
 * Chaos suite: three worker processes run 2,000 runs on a private Postgres server (sequential steps,
 * fan-outs, durable timers, child runs, sagas that compensate) while a random worker is SIGKILLed about
 * every two seconds (a replacement starts at once) and the server itself crashes and comes back once
 * in the middle, down for longer than a lease. At the end every run must have reached the status its
 * input calls for (with its output, effects and compensations), none may be lost, every effect must
 * have been applied exactly once in the external ledger (a body may run again only after the lease of
 * the attempt that ran it was taken over, and never after its work was recorded done), every history
 * must be consistent, no worker may have crashed, and no task may stay leased by a dead worker.
 *
 * Needs the Postgres server binaries (`initdb`, `pg_ctl`); without them the suite is skipped with one
 * line saying so, unless BATON_REQUIRE_POSTGRES=1 (CI), where that is a failure.
 * BATON_CHAOS_SEED replays a given sequence of kills and inputs.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../src/core/types.js';
import { Baton, type BatonOptions } from '../../src/runtime/baton.js';
import { tempDir } from '../temp-dir.js';
import { finishedEventOf, historyProblems, takeoversOf } from './chaos-checks.js';
import { Ledger } from './chaos-ledger.js';
import { type ChaosInput, chaosInput, expectedOf } from './chaos-workflows.js';
import { findPostgresBinDir, PrivatePostgres } from './private-postgres.js';
import { WorkerFleet } from './worker-fleet.js';

const RUNS = 2000;
const WORKERS = 3;
const KILL_EVERY_MS = 2000;
/**
 * Runs are submitted in waves spread over this long, so that work is in flight for many kills however
 * fast the machine is.
 */
const SUBMIT_OVER_MS = 20_000;
const SUBMIT_WAVES = 20;
/** The server crashes once this share of the runs has finished. */
const RESTART_AT = 0.4;
/** How long the server stays down: longer than a lease, so leases expire while nobody can renew them. */
const DOWN_MS = 2000;
/** All runs must finish within this (the suite must stay well under 5 minutes in CI). */
const FINISH_WITHIN_MS = 200_000;
const SCHEMA = 'baton_chaos';
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

const bin = findPostgresBinDir();
const required = process.env.BATON_REQUIRE_POSTGRES === '1';
if (!bin && !required) {
  console.log(
    'chaos suite skipped: no Postgres server binaries (initdb, pg_ctl) found via pg_config, /usr/lib/postgresql or BATON_PG_BINDIR',
  );
}

/** mulberry32: a small seeded generator, so a failing sequence of kills and inputs can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work` over `items`, `lanes` at a time. */
async function inLanes<T>(items: T[], lanes: number, work: (item: T, index: number) => Promise<void>) {
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) await work(items[i] as T, i);
  };
  await Promise.all(Array.from({ length: lanes }, lane));
}

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.skipIf(!bin && !required)('chaos (Postgres)', () => {
  it(`${RUNS} runs survive worker kills and a database crash`, { timeout: 290_000 }, async () => {
    if (!bin) {
      throw new Error(
        'BATON_REQUIRE_POSTGRES=1 but no Postgres server binaries (initdb, pg_ctl) were found: install PostgreSQL or set BATON_PG_BINDIR',
      );
    }
    const t0 = Date.now();
    const seed = Number(process.env.BATON_CHAOS_SEED ?? 20261121);
    const random = seeded(seed);
    const timeline: string[] = [];
    const note = (what: string) => timeline.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${what}`);

    const { dir, cleanup } = tempDir('baton-chaos-');
    cleanups.push(cleanup);
    const server = await PrivatePostgres.start(bin, dir);
    cleanups.push(() => server.stop());
    const open: BatonOptions = { databaseUrl: server.url(), databaseSchema: SCHEMA };
    const ledgerPath = `${dir}/ledger.db`;
    const ledger = new Ledger(ledgerPath);
    cleanups.push(() => ledger.close());
    const fleet = new WorkerFleet(WORKERS, open, ledgerPath, note);
    cleanups.push(() => fleet.killAll());

    expect(await fleet.up(), 'the workers started').toBe(true);
    const baton = await Baton.open(open);
    cleanups.push(() => baton.close());
    note('workers up');

    // The test's own connection, for what the port does not expose (counts, leases).
    const sql = new pg.Pool({ connectionString: server.url(), max: 2 });
    sql.on('error', () => undefined); // idle connections die with the server
    cleanups.push(() => sql.end());
    const count = async (where: string): Promise<number> =>
      Number((await sql.query(`SELECT count(*) AS n FROM ${SCHEMA}.${where}`)).rows[0].n);

    // --- submit, with the chaos already going ----------------------------------------------------
    const inputs = Array.from({ length: RUNS }, (_, i) => chaosInput(i, random));
    const parents = inputs.filter((x) => x.workflow === 'parent').length;
    const ids: string[] = new Array(RUNS);
    let submitRetries = 0;
    const submitStart = Date.now();
    let submitted = false;
    let submitError: unknown;
    const submitting = inLanes(inputs, 8, async ({ workflow, input }, i) => {
      const wave = Math.floor((i * SUBMIT_WAVES) / RUNS);
      const due = submitStart + (wave * SUBMIT_OVER_MS) / SUBMIT_WAVES;
      if (due > Date.now()) await sleep(due - Date.now());
      // With an idempotency key, a retried submit (the server was down) cannot create a second run.
      for (;;) {
        try {
          ids[i] = (await baton.store.createRun({ workflow, input, idempotencyKey: `chaos-${i}` })).run.id;
          return;
        } catch (error) {
          if (Date.now() - t0 > FINISH_WITHIN_MS) throw error;
          submitRetries++;
          await sleep(100);
        }
      }
    }).then(
      () => note('all submitted'),
      (error) => (submitError = error),
    );
    void submitting.then(() => (submitted = true));

    let kills = 0;
    let restarts = 0;
    let restartedAt = '';
    let finished = 0;
    let chaos = true;
    const chaotic = (async () => {
      while (chaos) {
        await sleep(KILL_EVERY_MS * (0.75 + random() / 2));
        if (!chaos) break;
        if (restarts === 0 && finished >= (RUNS + parents) * RESTART_AT) {
          restartedAt = `${Math.round((100 * finished) / (RUNS + parents))}% of runs finished`;
          note(`postgres crash (down ${DOWN_MS} ms) at ${restartedAt}`);
          await server.crashRestart(DOWN_MS);
          restarts++;
          note('postgres back');
        }
        const victim = await fleet.killOne(random);
        if (victim) {
          kills++;
          note(`killed ${victim.id}`);
        }
      }
    })();

    const deadline = t0 + FINISH_WITHIN_MS;
    let lastNote = Date.now();
    let unfinished = RUNS;
    while (Date.now() < deadline && (!submitted || unfinished > 0 || restarts === 0)) {
      await sleep(250);
      try {
        finished = await count(`runs WHERE status IN ('succeeded', 'failed', 'cancelled')`);
        unfinished = await count(`runs WHERE status NOT IN ('succeeded', 'failed', 'cancelled')`);
      } catch {
        // The server is down.
      }
      if (Date.now() - lastNote > 10_000) {
        note(`${finished}/${RUNS + parents} runs finished`);
        lastNote = Date.now();
      }
    }
    chaos = false;
    await chaotic;
    await submitting;
    if (submitError) throw submitError;
    const wallMs = Date.now() - t0;
    note(`${finished}/${RUNS + parents} runs finished; stopping`);

    // --- verify: collect every problem, then report them all --------------------------------------
    const problems: string[] = [];
    const problem = (what: string) => {
      if (problems.length < 100) problems.push(what);
    };

    // No task stays leased by a dead worker; the live ones then stop cleanly and hold nothing.
    const live = new Set(fleet.alive().map((w) => w.id));
    const leased = (await sql.query(`SELECT lease_owner FROM ${SCHEMA}.tasks WHERE lease_owner IS NOT NULL`))
      .rows as { lease_owner: string }[];
    for (const { lease_owner } of leased)
      if (!live.has(lease_owner)) problem(`a task is still leased by dead worker ${lease_owner}`);
    for (const id of await fleet.stopAll(20_000)) problem(`worker ${id} did not stop within 20 s`);
    for (const crash of fleet.crashes) problem(`worker crash: ${crash}`);
    const leasedAfterStop = await count('tasks WHERE lease_owner IS NOT NULL');
    if (leasedAfterStop > 0) problem(`${leasedAfterStop} tasks still leased after every worker stopped`);
    const tasksLeft = await count('tasks');
    if (tasksLeft > 0) problem(`${tasksLeft} tasks left once every run finished`);

    // None lost: every submitted run exists, and the database holds exactly those and their children.
    const topLevel = await count('runs WHERE parent_run_id IS NULL');
    const children = await count('runs WHERE parent_run_id IS NOT NULL');
    if (new Set(ids).size !== RUNS) problem(`${new Set(ids).size} distinct run ids for ${RUNS} submits`);
    if (topLevel !== RUNS) problem(`${topLevel} top-level runs in the database, ${RUNS} submitted`);
    if (children !== parents) problem(`${children} child runs in the database, ${parents} expected`);

    const histories = new Map<string, HistoryEvent[]>();
    let takeovers = 0;
    const effects = ledger.effects();
    await inLanes(ids, 8, async (id, i) => {
      const run = await baton.getRun(id);
      const expected = expectedOf(inputs[i] as ChaosInput);
      const tag = `${run.id} (${run.workflow} #${i})`;
      if (!TERMINAL.has(run.status)) problem(`${tag} did not finish: ${run.status}`);
      else if (run.status !== expected.status) problem(`${tag} ${run.status}, expected ${expected.status}`);
      if (expected.output !== undefined && JSON.stringify(run.output) !== JSON.stringify(expected.output))
        problem(`${tag} output ${JSON.stringify(run.output)}, expected ${JSON.stringify(expected.output)}`);
      if (expected.errorCode && run.error?.code !== expected.errorCode)
        problem(`${tag} error ${run.error?.code}, expected ${expected.errorCode}`);
      const applied = [...(effects.get(run.id)?.keys() ?? [])].sort();
      if (JSON.stringify(applied) !== JSON.stringify([...expected.effects].sort()))
        problem(`${tag} effects [${applied}], expected [${expected.effects}]`);

      const kids = expected.children > 0 ? await baton.listRuns({ parentRunId: run.id }) : [];
      if (kids.length !== expected.children) problem(`${tag} has ${kids.length} child runs`);
      for (const kid of kids)
        if (kid.status !== 'succeeded') problem(`child ${kid.id} of ${tag} ${kid.status}`);
      for (const r of [run, ...kids]) {
        const history = await baton.history(r.id);
        histories.set(r.id, history);
        takeovers += history.filter((e) => e.type === 'lease-taken-over').length;
        const where = r.id === run.id ? tag : `child ${r.id} of ${tag}`;
        for (const p of historyProblems(history)) problem(`${where}: ${p}`);
        // Only lost workers and the saga's refusal may fail an attempt.
        for (const e of history) {
          const code = (e.data as { code?: string } | undefined)?.code;
          if (e.type === 'attempt-failed' && code !== 'WORKER_LOST_LEASE' && code !== 'SUPPLIER_REFUSED')
            problem(`${where}: attempt ${e.attempt} of ${e.stepId} failed: ${JSON.stringify(e.data)}`);
        }
      }
      const compensated = histories
        .get(run.id)
        ?.filter((e) => e.type === 'compensation-succeeded')
        .map((e) => e.stepId);
      if (JSON.stringify(compensated) !== JSON.stringify(expected.compensations))
        problem(`${tag} compensated [${compensated}], expected [${expected.compensations}]`);
    });

    // Effectively once: no effect applied under two keys, no body run after its work was recorded done.
    const duplicates = ledger.duplicates();
    for (const d of duplicates)
      problem(`effect ${d.what} of ${d.owner} applied again under key ${d.key} (first ${d.firstKey})`);
    // A body runs again only after the lease of the attempt that ran it before was taken over.
    const calls = new Map<string, number>();
    for (const call of ledger.calls()) {
      const done = finishedEventOf(call.key, histories);
      if (done && call.at > done.at)
        problem(`${call.key} ran at ${call.at} (pid ${call.pid}), after it was recorded done at ${done.at}`);
      calls.set(call.key, (calls.get(call.key) ?? 0) + 1);
    }
    for (const [key, n] of calls) {
      const lost = takeoversOf(key, histories).length;
      if (n - 1 > lost) problem(`${key} ran ${n} times, yet only ${lost} of its leases were taken over`);
    }

    console.log(
      `chaos: runs=${topLevel} (+${children} child) kills=${kills} takeovers=${takeovers} ` +
        `postgres-restarts=${restarts} (at ${restartedAt}) duplicates=${duplicates.length} replays=${ledger.replays()} ` +
        `worker-crashes=${fleet.crashes.length} wall=${(wallMs / 1000).toFixed(1)}s seed=${seed}`,
    );
    if (problems.length > 0 || submitRetries > 0) console.log(`chaos timeline:\n  ${timeline.join('\n  ')}`);
    expect(problems).toEqual([]);
    expect(restarts, 'the server crashed and came back in the middle').toBe(1);
    expect(kills, 'workers killed').toBeGreaterThanOrEqual(5);
    expect(takeovers, 'leases taken over from killed workers').toBeGreaterThan(0);
  });
});
