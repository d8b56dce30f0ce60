/**
 * A worker process for the trace takeover test: `trace-crash-worker.ts <dataDir> <upstream url>`. It
 * runs the `chatty` agent workflow with tracing on, spans kept in the engine's SQLite file.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { AgentRegistry, agent, agentKind } from '../../src/agents/agent/index.js';
import { openSqliteAgentStore } from '../../src/agents/state/sqlite-agent-store.js';
import { workflow } from '../../src/core/builder.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { openSqliteLedger } from '../../src/gateway/ledger/index.js';
import { Baton } from '../../src/runtime/baton.js';
import { openSqliteSpanStore } from '../../src/telemetry/spans/sqlite-span-store.js';
import { createTracing } from '../../src/telemetry/tracing/tracing.js';
import { MemoryToolAuditSink } from '../../src/tools/audit.js';
import { defineTool } from '../../src/tools/define-tool.js';
import { ToolRegistry } from '../../src/tools/tool-registry.js';
import { fastRouteTo } from '../gateway/harness.js';

const [dataDir, upstream] = process.argv.slice(2) as [string, string];
const spans = await openSqliteSpanStore({ path: join(dataDir, 'baton.db') });
const tracing = createTracing({ spanStore: spans, flushIntervalMs: 10 });
const baton = await Baton.open({ dataDir, durability: 'full', tracing });
const gatewayLedger = await openSqliteLedger({ path: join(dataDir, 'gateway.db') });
const gateway = Gateway.open({ config: fastRouteTo(upstream), ledger: gatewayLedger, tracing });
const store = await openSqliteAgentStore({ path: join(dataDir, 'baton.db') });
const tools = new ToolRegistry({ audit: new MemoryToolAuditSink() }).register(
  defineTool({
    name: 'record_step',
    description: 'Records that a step of the work was done.',
    input: z.object({ n: z.number().int() }),
    handler: ({ n }) => `step ${n} recorded`,
  }),
);
const agents = new AgentRegistry().register({
  name: 'chatty',
  description: 'Does the work one step per turn.',
  instructions: 'Record each step.',
  model: 'fast',
  tools: ['record_step'],
});
baton.defineKind(agentKind({ gateway, store, agents, tools, runs: baton }));
await baton.register(
  workflow({ name: 'chatty', version: '1', input: z.object({ steps: z.number() }) })
    .custom(
      'work',
      'agent',
      agent({ agent: 'chatty', task: (ctx) => `Do ${(ctx.input as { steps: number }).steps} steps` }),
    )
    .output(({ steps }) => steps.work),
);
const worker = baton.worker({ concurrency: 4, leaseMs: 1000, pollMs: 20 });
process.send?.('ready');
process.on('SIGTERM', () => {
  void (async () => {
    await worker.stop(1000);
    await baton.close();
    await gateway.close();
    await gatewayLedger.close();
    await store.close();
    await tracing.shutdown();
    await spans.close();
    process.exit(0);
  })();
});
