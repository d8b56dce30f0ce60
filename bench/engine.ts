/**
 * Engine benchmarks (issue 2). Prints one figure per line as `name value unit`.
 *
 *   npm run bench                      # all scenarios, default durability (fsync on every commit)
 *   npm run bench -- --only seq,map    # some of them: seq, map, timers, takeover
 *   BATON_DURABILITY=normal npm run bench
 *   BENCH_TELEMETRY=1 npm run bench -- --only seq   # (or trace,logs,metrics: some of them) with tracing (spans stored in SQLite), JSON logs
 *                                                   # (info level, to a file) and a /metrics exporter
 *                                                   # scraped every second: compare with it off
 *                                                   # BENCH_SPAN_THREAD=0: spans written on the main thread
 *                                                   # BENCH_CPU=1: also CPU ms per run (process, main thread)
 *   BENCH_RUNS=5000: runs measured by the seq scenario (default 1000; more gives steadier figures)
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { Baton } from '../src/runtime/baton.js';
import { createLogger } from '../src/telemetry/logs.js';
import { createMetrics } from '../src/telemetry/metrics/index.js';
import { openSqliteSpanStore } from '../src/telemetry/spans/index.js';
import { createTracing } from '../src/telemetry/tracing/index.js';
import { listFlag, mainThreadCpuMs, percentile, print } from './common.js';
import { holdWorkflow, mapWorkflow, napWorkflow, seq10Workflow } from './workflows.js';

const durability = (process.env.BATON_DURABILITY as 'full' | 'normal' | undefined) ?? 'full';
const only = listFlag('only');
const wants = (name: string) => only.length === 0 || only.includes(name);

const telemetryParts = new Set(
  process.env.BENCH_TELEMETRY === '1'
    ? ['trace', 'logs', 'metrics']
    : (process.env.BENCH_TELEMETRY ?? '').split(','),
);

async function withEngine<T>(fn: (baton: Baton, dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-'));
  const spans = telemetryParts.has('trace')
    ? await openSqliteSpanStore({
        path: join(dir, process.env.BENCH_SPAN_FILE ?? 'baton.db'),
        // As the CLI opens it; BENCH_SPAN_THREAD=0 writes on the main thread, for comparison.
        thread: process.env.BENCH_SPAN_THREAD !== '0',
      })
    : undefined;
  const tracing = spans ? createTracing({ spanStore: spans }) : undefined;
  const logger = telemetryParts.has('logs')
    ? createLogger({
        level: 'info',
        destination: pino.destination({ dest: join(dir, 'baton.log'), sync: false }),
      })
    : undefined;
  const baton = await Baton.open({
    dataDir: dir,
    durability,
    ...(tracing ? { tracing } : {}),
    ...(logger ? { logger } : {}),
  });
  // A Prometheus scrape every second, as an aggressive scraper would.
  const metrics = telemetryParts.has('metrics') ? createMetrics({ baton }) : undefined;
  const scraper = metrics
    ? setInterval(() => void metrics.metrics().catch(() => undefined), 1000)
    : undefined;
  try {
    return await fn(baton, dir);
  } finally {
    clearInterval(scraper);
    await metrics?.close();
    await baton.close();
    await tracing?.shutdown();
    await spans?.close();
    logger?.flush();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The main thread's CPU time (user + system, ms) from /proc on Linux; undefined elsewhere. */
/** Unmeasured runs before each sequential measurement. */
const WARMUP_RUNS = Number(process.env.BENCH_WARMUP ?? 300);

/** 1. A 10-step sequential workflow of no-op steps: throughput and step-to-step latency. */
async function sequential(): Promise<void> {
  const lanes = process.env.BENCH_LANES ? [Number(process.env.BENCH_LANES)] : [1, 50];
  for (const inFlight of lanes) {
    await withEngine(async (baton) => {
      const ends = new Map<string, number>();
      const gaps: number[] = [];
      await baton.register(
        seq10Workflow((runId, index) => {
          const now = performance.now();
          if (index > 1) {
            const prev = ends.get(runId);
            if (prev !== undefined) gaps.push(now - prev);
          }
          ends.set(runId, now);
        }),
      );
      baton.worker({ concurrency: Math.max(50, inFlight) });
      const drive = async (total: number) => {
        let submitted = 0;
        const lane = async () => {
          while (submitted < total) {
            submitted++;
            const run = await baton.submit('seq10', {});
            // The run is done when its last commit is: the engine says so the moment it commits.
            const done = await baton.waitForRun(run.id);
            if (done.status !== 'succeeded') throw new Error(`run ${run.id} ${done.status}`);
          }
        };
        await Promise.all(Array.from({ length: inFlight }, lane));
      };
      // Warm-up (not measured): a worker in production runs warm; the first runs pay for JIT compilation.
      await drive(WARMUP_RUNS);
      gaps.length = 0;
      const total = Number(process.env.BENCH_RUNS ?? 1000);
      const start = performance.now();
      const elu0 = performance.eventLoopUtilization();
      const cpu0 = process.cpuUsage();
      const main0 = mainThreadCpuMs();
      await drive(total);
      const seconds = (performance.now() - start) / 1000;
      if (process.env.BENCH_ELU)
        console.log('elu', performance.eventLoopUtilization(elu0).utilization.toFixed(3));
      if (process.env.BENCH_CPU) {
        // CPU time varies less than throughput on a machine busy with something else.
        const cpu = process.cpuUsage(cpu0);
        print('cpu_ms_per_run', (cpu.user + cpu.system) / 1000 / total, 'ms');
        const main1 = mainThreadCpuMs();
        if (main0 !== undefined && main1 !== undefined) {
          print('main_thread_cpu_ms_per_run', (main1 - main0) / total, 'ms');
        }
      }
      gaps.sort((x, y) => x - y);
      const tag = inFlight === 1 ? 'seq_one_at_a_time' : 'seq_50_in_flight';
      print(`${tag}_transitions_per_s`, (total * 10) / seconds, 'transitions/s');
      print(`${tag}_runs_per_s`, total / seconds, 'runs/s');
      print(`${tag}_step_to_step_p50`, percentile(gaps, 50), 'ms');
      print(`${tag}_step_to_step_p99`, percentile(gaps, 99), 'ms');
    });
  }
}

/** 2. One run mapping over 10,000 items with concurrency 100. */
async function fanOut(): Promise<void> {
  await withEngine(async (baton) => {
    await baton.register(mapWorkflow);
    baton.worker({ concurrency: 100 });
    const start = performance.now();
    const run = await baton.submit('fanout', { n: 10_000 });
    const done = await baton.waitForRun(run.id, { timeoutMs: 600_000, pollMs: 5 });
    if ((done.output as { count: number }).count !== 10_000) throw new Error('fan-out lost items');
    print('map_10000_items_c100_total', (performance.now() - start) / 1000, 's');
  });
}

/** 3. 10,000 concurrent runs, each sleeping 1 s on a durable timer then running one step. */
async function timers(): Promise<void> {
  await withEngine(async (baton) => {
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 20);
    let finished = 0;
    let allDone: () => void = () => {};
    const everything = new Promise<void>((resolve) => {
      allDone = resolve;
    });
    const total = 10_000;
    await baton.register(
      napWorkflow(() => {
        if (++finished === total) allDone();
      }),
    );
    baton.worker({ concurrency: 100 });
    const start = performance.now();
    for (let i = 0; i < total; i += 100) {
      await Promise.all(Array.from({ length: 100 }, () => baton.submit('nap', {})));
    }
    const submitted = performance.now();
    await everything;
    const end = performance.now();
    clearInterval(sampler);
    print('timers_10000_submit', (submitted - start) / 1000, 's');
    print('timers_10000_completion', (end - start) / 1000, 's');
    print('timers_10000_after_last_submit', (end - submitted) / 1000, 's');
    print('timers_10000_peak_rss', Math.round(peakRss / 1024 / 1024), 'MB');
  });
}

/** 4. SIGKILL a worker holding 1,000 in-flight runs; time until a second worker has resumed them all. */
async function takeover(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-'));
  const child = fork(new URL('./takeover-worker.ts', import.meta.url), [dir], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_BLOCK: '1', BATON_DURABILITY: durability },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`takeover worker exited early (${code})`)));
  });
  const baton = await Baton.open({ dataDir: dir, durability });
  await baton.register(holdWorkflow);
  const total = 1000;
  for (let i = 0; i < total; i += 100)
    await Promise.all(Array.from({ length: 100 }, () => baton.submit('hold', {})));
  // Wait until the child holds every run's step.
  for (;;) {
    const attempts = await countAttempts(baton, 'running');
    if (attempts >= total) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.removeAllListeners('exit');
  const killed = performance.now();
  child.kill('SIGKILL');
  baton.worker({ concurrency: total, pollMs: 50 });
  for (;;) {
    const done = (await baton.listRuns({ workflow: 'hold', status: 'succeeded', limit: 1000 })).length;
    if (done >= total) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  print('takeover_1000_runs_resumed', (performance.now() - killed) / 1000, 's');
  await baton.close();
  rmSync(dir, { recursive: true, force: true });
}

async function countAttempts(baton: Baton, status: string): Promise<number> {
  const runs = await baton.listRuns({ workflow: 'hold', limit: 1000 });
  let n = 0;
  for (const r of runs) n += (await baton.attempts(r.id)).filter((a) => a.status === status).length;
  return n;
}

console.log(`cores ${availableParallelism()} cores`);
console.log(`durability ${durability === 'full' ? 1 : 0} fsync_per_commit`);
if (wants('seq')) await sequential();
if (wants('map')) await fanOut();
if (wants('timers')) await timers();
if (wants('takeover')) await takeover();
