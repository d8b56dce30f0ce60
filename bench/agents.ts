/**
 * Agent overhead benchmark: what Baton adds per agent iteration and per tool call, with no model
 * latency. The model is the offline provider (in process, answering from rules at once), so what is
 * measured is the engine: the agent loop, its durable journal (two appends per turn on the real store),
 * the gateway's in-process path (admission, routing, accounting, request log) and the tool hub (grant,
 * validation, breaker, audit, result cap).
 *
 * Phases:
 * - `turn`: agent runs of `--iterations` turns each (a tool call per turn, then a final answer),
 *   `--concurrency` runs at once. A turn is timed between two consecutive tool invocations of a run:
 *   one model call through the gateway, its journal entry, the tool call through the hub and its
 *   journal entry. Prints p50/p99 per turn and turns per second.
 * - `tool`: the tool hub alone, a no-op tool called `--samples` times (p50/p99, calls per second).
 * - `journal`: `appendJournal` alone on the same store (p50/p99): the durability part of a turn.
 *
 *   npx tsx bench/agents.ts                                     # defaults: 40 runs × 25 turns, 8 at once
 *   npx tsx bench/agents.ts --runs 10 --iterations 10 --concurrency 1
 *   npx tsx bench/agents.ts --durability normal                 # SQLite synchronous=NORMAL for the engine
 *
 * Prints one figure per line as `name value unit`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { agent } from '../src/agents/agent/agent-step.js';
import { enableAgents, openAgentStore } from '../src/agents/enable-agents.js';
import { workflow } from '../src/core/builder.js';
import { Gateway } from '../src/gateway/gateway.js';
import { openSqliteLedger } from '../src/gateway/ledger/index.js';
import { Baton } from '../src/runtime/baton.js';
import { MemoryToolAuditSink } from '../src/tools/audit.js';
import { defineTool } from '../src/tools/define-tool.js';
import { ToolRegistry } from '../src/tools/tool-registry.js';
import { flag, percentile, print } from './common.js';

const runs = Number(flag('runs') ?? 40);
const iterations = Number(flag('iterations') ?? 25);
const concurrency = Number(flag('concurrency') ?? 8);
const samples = Number(flag('samples') ?? 20_000);
const durability = (flag('durability') ?? 'full') as 'full' | 'normal';

const dir = mkdtempSync(join(tmpdir(), 'baton-bench-agents-'));
const rulesFile = join(dir, 'rules.yaml');
// Turn after turn the model calls `step`; when the tool says `last`, it answers.
writeFileSync(
  rulesFile,
  [
    'rules:',
    '  - name: finish',
    "    when: { toolResult: 'last' }",
    "    answer: { text: 'finished' }",
    '  - name: step',
    '    when: { hasTools: true }',
    '    answer: { toolCalls: [{ name: step, arguments: { n: 1 } }] }',
    '',
  ].join('\n'),
);

const turnTimes: number[] = [];
const lastCall = new Map<string, number>();
const counts = new Map<string, number>();

const step = defineTool({
  name: 'step',
  description: 'Does one step of the work.',
  input: z.object({ n: z.number() }),
  handler: (_input, { runId }) => {
    const id = runId ?? '';
    const now = performance.now();
    const previous = lastCall.get(id);
    if (previous !== undefined) turnTimes.push(now - previous);
    lastCall.set(id, now);
    const n = (counts.get(id) ?? 0) + 1;
    counts.set(id, n);
    return n >= iterations ? 'last' : 'continue';
  },
});

const baton = await Baton.open({ dataDir: dir, durability });
const ledger = await openSqliteLedger({ path: join(dir, 'gateway.db') });
const gateway = Gateway.open({
  config: {
    providers: { offline: { kind: 'offline', rulesFile } },
    routes: { bench: { targets: [{ model: 'offline/bench' }] } },
  },
  ledger,
});
const store = await openAgentStore({ dataDir: dir });
const ai = await enableAgents(baton, {
  gateway,
  store,
  tools: [step],
  agents: [
    {
      name: 'worker',
      description: 'Works step by step.',
      instructions: 'Call step until it says last.',
      model: 'bench',
      tools: ['step'],
      limits: { maxIterations: iterations + 5 },
    },
  ],
});
await baton.register(
  workflow({ name: 'bench-agent', version: '1', input: z.object({ n: z.number() }) })
    .custom('work', 'agent', agent({ agent: 'worker', task: () => 'Do the steps.' }))
    .output(({ steps }) => steps.work),
);
baton.worker({ concurrency: Math.max(concurrency, 1) * 2, pollMs: 5 });

// Warm-up: one run, not measured.
await baton.waitForRun((await baton.submit('bench-agent', { n: -1 })).id);
turnTimes.length = 0;

console.log(
  `# agents: ${runs} runs × ${iterations} turns, ${concurrency} at once, engine durability ${durability}`,
);
const started = performance.now();
let next = 0;
let failed = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < runs) {
      const i = next++;
      const run = await baton.submit('bench-agent', { n: i });
      const done = await baton.waitForRun(run.id, { timeoutMs: 300_000, pollMs: 5 });
      if (done.status !== 'succeeded') failed++;
    }
  }),
);
const elapsed = (performance.now() - started) / 1000;
const turns = [...turnTimes].sort((a, b) => a - b);
print('agent_turn_p50', percentile(turns, 50), 'ms');
print('agent_turn_p99', percentile(turns, 99), 'ms');
print('agent_turns_per_s', (runs * iterations) / elapsed, 'turns/s');
print('agent_runs_failed', failed, 'runs');

// The tool hub alone.
const hub = new ToolRegistry({ audit: new MemoryToolAuditSink() }).register(
  defineTool({
    name: 'noop',
    description: 'Does nothing.',
    input: z.object({ x: z.number() }),
    handler: () => 'ok',
  }),
);
const granted = hub.forGrant(['noop']);
const toolTimes: number[] = [];
const toolStart = performance.now();
for (let i = 0; i < samples; i++) {
  const t = performance.now();
  await granted.call('noop', '{"x":1}', { runId: 'r', stepId: 's', callId: `c${i}` });
  toolTimes.push(performance.now() - t);
}
const toolElapsed = (performance.now() - toolStart) / 1000;
toolTimes.sort((a, b) => a - b);
print('tool_call_p50', percentile(toolTimes, 50), 'ms');
print('tool_call_p99', percentile(toolTimes, 99), 'ms');
print('tool_calls_per_s', samples / toolElapsed, 'calls/s');

// One journal append on the agent store (SQLite, synchronous=FULL): the durable part of a turn.
const journalTimes: number[] = [];
for (let i = 0; i < Math.min(samples, 5000); i++) {
  const t = performance.now();
  await store.appendJournal({ runId: 'bench', stepId: 'journal' }, { seq: i, type: 'model', data: { i } });
  journalTimes.push(performance.now() - t);
}
journalTimes.sort((a, b) => a - b);
print('journal_append_p50', percentile(journalTimes, 50), 'ms');
print('journal_append_p99', percentile(journalTimes, 99), 'ms');

await ai.close();
await baton.close();
await store.close();
await gateway.close();
await ledger.close();
rmSync(dir, { recursive: true, force: true });
