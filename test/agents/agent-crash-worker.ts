/**
 * A worker process for the agent crash test: `agent-crash-worker.ts <dataDir> <ledger.db> <upstream url>`.
 * It runs the `chatty` workflow, whose agent calls `record_step` once per turn; the ledger counts
 * every invocation of the tool, so a repeated call shows up there.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { AgentRegistry, agent, agentKind } from '../../src/agents/agent/index.js';
import { openSqliteAgentStore } from '../../src/agents/state/sqlite-agent-store.js';
import { workflow } from '../../src/core/builder.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { openSqliteLedger } from '../../src/gateway/ledger/index.js';
import { Baton } from '../../src/runtime/baton.js';
import { MemoryToolAuditSink } from '../../src/tools/audit.js';
import { defineTool } from '../../src/tools/define-tool.js';
import { ToolRegistry } from '../../src/tools/tool-registry.js';
import { Ledger } from '../crash/crash-workflows.js';
import { fastRouteTo } from '../gateway/harness.js';

const [dataDir, ledgerPath, upstream] = process.argv.slice(2) as [string, string, string];
const ledger = new Ledger(ledgerPath);
const baton = await Baton.open({ dataDir, durability: 'full' });
const gatewayLedger = await openSqliteLedger({ path: join(dataDir, 'gateway.db') });
const gateway = Gateway.open({ config: fastRouteTo(upstream), ledger: gatewayLedger });
const store = await openSqliteAgentStore({ path: join(dataDir, 'baton.db') });
const tools = new ToolRegistry({ audit: new MemoryToolAuditSink() }).register(
  defineTool({
    name: 'record_step',
    description: 'Records that a step of the work was done.',
    input: z.object({ n: z.number().int() }),
    handler: ({ n }, { runId }) => {
      ledger.call(runId ?? '', `step-${n}`);
      return `step ${n} recorded`;
    },
  }),
);
const agents = new AgentRegistry().register({
  name: 'chatty',
  description: 'Does the work one step per turn.',
  instructions: 'Record each step.',
  model: 'fast',
  tools: ['record_step'],
  limits: { maxIterations: 30 },
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
    ledger.close();
    process.exit(0);
  })();
});
