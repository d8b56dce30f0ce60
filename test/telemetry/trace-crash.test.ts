/**
 * Trace continuity across a SIGKILL takeover: an agent's worker is killed during its third model
 * call; another worker takes the step over and finishes the run. Every span of both workers is in the
 * run's trace, the attempt spans of both hang from the run span, and the first worker's model and
 * tool spans hang from the agent span the second worker recorded (its id derives from the attempt's).
 */
import { afterEach, expect, it } from 'vitest';
import { Baton } from '../../src/runtime/baton.js';
import { openSqliteSpanStore } from '../../src/telemetry/spans/sqlite-span-store.js';
import { readRunTrace } from '../../src/telemetry/tracing/engine-spans.js';
import { attemptSpanId, runSpanId } from '../../src/telemetry/tracing/ids.js';
import { workerProcesses } from '../crash/worker-process.js';
import { type FakeOpenAI, type RecordedRequest, startFakeOpenAI } from '../gateway/fakes/index.js';
import { tempDir } from '../temp-dir.js';
import { until } from '../until.js';

const workers = workerProcesses(new URL('./trace-crash-worker.ts', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  workers.killAll();
  for (const c of cleanups.splice(0).reverse()) await c();
});

const startWorker = (dataDir: string, upstream: string) => workers.start([dataDir, upstream]);

const TURNS = 4;
const KILL_AT = 3;
const turnOf = (request: RecordedRequest) =>
  (request.body as { messages: { role: string }[] }).messages.filter((m) => m.role === 'tool').length + 1;

it('keeps one trace, and one run span, across a SIGKILL takeover', async () => {
  const { dir, cleanup } = tempDir('baton-trace-crash-');
  const up: FakeOpenAI = await startFakeOpenAI();
  const baton = await Baton.open({ dataDir: dir, durability: 'full' });
  const spans = await openSqliteSpanStore({ path: `${dir}/baton.db` });
  cleanups.push(
    cleanup,
    () => up.close(),
    () => baton.close(),
    () => spans.close(),
  );
  up.setScript((request) => {
    const turn = turnOf(request);
    return turn <= TURNS
      ? { toolCalls: [{ id: `call_${turn}`, name: 'record_step', arguments: { n: turn } }] }
      : { text: `all ${TURNS} steps done` };
  });
  // The first worker's third call never gets an answer: it dies waiting for it.
  up.fault({ hang: true }, { when: (r) => turnOf(r) === KILL_AT });

  const first = startWorker(dir, up.url);
  await first.ready;
  const { run } = await baton.store.createRun({ workflow: 'chatty', input: { steps: TURNS } });
  await until('the first worker to write its spans of two turns', async () => {
    const written = await spans.listSpans({ traceId: run.traceId });
    return (
      up.requests.length === KILL_AT &&
      written.filter((s) => s.name === 'execute_tool record_step').length === 2
    );
  });
  first.child.kill('SIGKILL');
  expect(await first.exited).toBe('SIGKILL');

  const second = startWorker(dir, up.url);
  const done = await until('the run to finish', async () => {
    const r = await baton.getRun(run.id);
    return ['succeeded', 'failed', 'cancelled'].includes(r.status) ? r : undefined;
  });
  expect(done.status).toBe('succeeded');
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);

  const all = await readRunTrace({ store: baton.store, spans }, await baton.getRun(run.id));
  expect(all.every((s) => s.traceId === run.traceId)).toBe(true);
  const root = all.filter((s) => s.name === 'invoke_workflow chatty');
  expect(root).toHaveLength(1);
  expect(root[0]).toMatchObject({ spanId: runSpanId(run.id), status: { code: 'ok' } });
  // The takeover re-runs attempt 1: the killed worker's span never ended, the new one has its id.
  const attempts = all.filter((s) => s.name === 'step work');
  expect(attempts).toHaveLength(1);
  expect(attempts[0]).toMatchObject({
    spanId: attemptSpanId({ runId: run.id, kind: 'step', stepId: 'work', item: -1, attempt: 1 }),
    parentSpanId: runSpanId(run.id),
  });
  expect(all.find((s) => s.name === 'finalize chatty')?.parentSpanId).toBe(runSpanId(run.id));
  // The agent span has a derived id too: the calls of both workers hang from the one span written.
  const agentSpans = all.filter((s) => s.name === 'invoke_agent chatty');
  expect(agentSpans).toHaveLength(1);
  expect(agentSpans[0]?.parentSpanId).toBe(attempts[0]?.spanId);
  const ids = new Set(all.map((s) => s.spanId));
  expect(all.filter((s) => s.parentSpanId !== undefined && !ids.has(s.parentSpanId))).toEqual([]);
  const calls = all.filter((s) => s.name === 'chat fast' || s.name === 'execute_tool record_step');
  expect(new Set(calls.map((s) => s.parentSpanId))).toEqual(new Set([agentSpans[0]?.spanId]));
  // Turns 1-2 by the first worker, turns 3-5 by the second: every answered call has its span.
  expect(all.filter((s) => s.name === 'chat fast')).toHaveLength(TURNS + 1);
}, 60_000);
