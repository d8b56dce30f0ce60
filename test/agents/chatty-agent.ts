/**
 * The `chatty` workflow of the agent takeover suites, in a worker process: one `agent` step whose agent
 * does the work one step per turn, calling `record_step` each time (the fake upstream's script decides
 * the turns). Its gateway ledger and agent store live in the engine's data directory.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { AgentRegistry, agent, agentKind } from '../../src/agents/agent/index.js';
import { openSqliteAgentStore } from '../../src/agents/state/sqlite-agent-store.js';
import { workflow } from '../../src/core/builder.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { openSqliteLedger } from '../../src/gateway/ledger/index.js';
import type { Baton } from '../../src/runtime/baton.js';
import type { Worker } from '../../src/runtime/worker.js';
import type { Tracing } from '../../src/telemetry/tracing/tracing.js';
import { MemoryToolAuditSink } from '../../src/tools/audit.js';
import { defineTool } from '../../src/tools/define-tool.js';
import { ToolRegistry } from '../../src/tools/tool-registry.js';
import { fastRouteTo } from '../gateway/harness.js';

/** What the worker script passes: where the engine is, the fake upstream, and what varies between the suites. */
export interface ChattyOptions {
  dataDir: string;
  /** The fake upstream's URL, the `fast` model's route. */
  upstream: string;
  /** Passed to the gateway. */
  tracing?: Tracing;
  /** Called on every invocation of `record_step` (a repeated call is seen here). */
  onStep?: (n: number, runId: string | undefined) => void;
  /** @defaultValue the agent's default */
  maxIterations?: number;
}

/**
 * Defines the `agent` kind on `baton`, registers the `chatty` workflow and starts a worker; `close`
 * closes the gateway, its ledger and the agent store (after the worker and `baton` are stopped).
 */
export async function startChattyWorker(
  baton: Baton,
  options: ChattyOptions,
): Promise<{ worker: Worker; close: () => Promise<void> }> {
  const { dataDir, upstream, tracing, onStep, maxIterations } = options;
  const gatewayLedger = await openSqliteLedger({ path: join(dataDir, 'gateway.db') });
  const gateway = Gateway.open({ config: fastRouteTo(upstream), ledger: gatewayLedger, tracing });
  const store = await openSqliteAgentStore({ path: join(dataDir, 'baton.db') });
  const tools = new ToolRegistry({ audit: new MemoryToolAuditSink() }).register(
    defineTool({
      name: 'record_step',
      description: 'Records that a step of the work was done.',
      input: z.object({ n: z.number().int() }),
      handler: ({ n }, { runId }) => {
        onStep?.(n, runId);
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
    ...(maxIterations === undefined ? {} : { limits: { maxIterations } }),
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
  const close = async () => {
    await gateway.close();
    await gatewayLedger.close();
    await store.close();
  };
  return { worker, close };
}
