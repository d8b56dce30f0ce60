/**
 * The cost of tracing one step attempt, isolated from the engine: the worker's step observer around
 * a body that does nothing but await, with tracing on (spans to a SQLite span store written on its
 * thread, as `baton dev` does) and off. Prints CPU microseconds per attempt (main thread, and the
 * whole process with the writer thread), spans written included.
 *
 *   npx tsx bench/tracing.ts [--attempts 50000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClaimedTask, StepOutcome } from '../src/core/types.js';
import { openSqliteSpanStore } from '../src/telemetry/spans/index.js';
import { stepObserver } from '../src/telemetry/step-observer.js';
import { createTracing } from '../src/telemetry/tracing/index.js';
import { flag, mainThreadCpuMs, print } from './common.js';

const attempts = Number(flag('attempts') ?? 50_000);

function task(i: number): ClaimedTask {
  const runId = `run-${Math.floor(i / 10)}`;
  return {
    id: `t${i}`,
    kind: 'step',
    runId,
    stepId: `s${i % 10}`,
    item: -1,
    attempt: 1,
    leaseExpiresAt: 0,
    startedAt: Date.now(),
    run: {
      id: runId,
      workflow: 'seq10',
      versionId: 'seq10@1',
      input: {},
      tenant: 'default',
      priority: 0,
      depth: 0,
      // Run trace ids are 32 hex digits, as the engine draws them.
      traceId: (Math.floor(i / 10) + 1).toString(16).padStart(32, 'a'),
      createdAt: Date.now(),
      tags: [],
    },
    steps: {},
  } as ClaimedTask;
}

const body = async (): Promise<StepOutcome> => {
  await null;
  return { type: 'succeeded', output: 1 } as StepOutcome;
};

async function measure(
  label: string,
  observe: ReturnType<typeof stepObserver>,
  flushed?: () => Promise<void>,
): Promise<void> {
  const tasks = Array.from({ length: attempts }, (_, i) => task(i));
  const run = async (from: number, to: number) => {
    for (let i = from; i < to; i++) await (observe ? observe(tasks[i]!, body) : body());
  };
  await run(0, Math.min(5000, attempts)); // warm-up
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuMs() ?? 0;
  const t0 = performance.now();
  await run(0, attempts);
  // Spans queued but not yet written count too: their writing is part of the attempts' cost.
  await flushed?.();
  const cpu = process.cpuUsage(cpu0);
  print(
    `${label}_main_thread_cpu_us_per_attempt`,
    (((mainThreadCpuMs() ?? 0) - main0) * 1000) / attempts,
    'us',
  );
  print(`${label}_cpu_us_per_attempt`, (cpu.user + cpu.system) / attempts, 'us');
  print(`${label}_wall_us_per_attempt`, ((performance.now() - t0) * 1000) / attempts, 'us');
}

const dir = mkdtempSync(join(tmpdir(), 'baton-bench-tracing-'));
try {
  await measure('off', undefined);
  const spans = await openSqliteSpanStore({ path: join(dir, 'telemetry.db'), thread: true });
  const tracing = createTracing({ spanStore: spans });
  await measure('on', stepObserver({ tracing }), () => tracing.flush());
  await tracing.shutdown();
  await spans.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
