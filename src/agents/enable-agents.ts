/**
 * One call that gives an engine its AI steps: the `llm`, `tool`, `agent` and `plan` kinds bound to a
 * gateway, a tool hub, prompt files and the agent store; the YAML forms of those steps; and the
 * `agent.<name>` workflows that delegation starts as child runs. The CLI uses it for a config with
 * `agents`; code uses it after `Baton.open`.
 * @module
 */
import { join } from 'node:path';
import type { Gateway } from '../gateway/gateway.js';
import type { Baton } from '../runtime/baton.js';
import type { Tool } from '../tools/tool.js';
import { ToolRegistry } from '../tools/tool-registry.js';
import { AgentMemory } from './agent/agent-memory.js';
import { agentKind, agentWorkflows } from './agent/agent-step.js';
import { type AgentDefinition, AgentRegistry } from './agent/define-agent.js';
import { llmKind } from './llm-step.js';
import { planKind } from './plan-step.js';
import type { PromptLibrary } from './prompts/index.js';
import { registerAgentSpecKinds } from './spec-kinds.js';
import { openPostgresAgentStore, openSqliteAgentStore } from './state/index.js';
import type { AgentStore } from './state/port.js';
import { StoreToolAuditSink } from './state/store-audit-sink.js';
import { toolKind } from './tool-step.js';

/** What {@link enableAgents} wires. */
export interface EnableAgentsOptions {
  gateway: Gateway;
  /** Journals, memory and the audit trail: see {@link openAgentStore}. */
  store: AgentStore;
  agents?: (AgentDefinition | AgentRegistry)[] | AgentRegistry;
  /** A tool hub, or local tools for a new one that audits to `store`. */
  tools?: ToolRegistry | Tool[];
  prompts?: PromptLibrary;
}

/** The wired parts, for code that wants to use them directly. */
export interface AgentsRuntime {
  agents: AgentRegistry;
  tools: ToolRegistry;
  store: AgentStore;
  /** Long-term memory of one tenant's agent, for code (seeding, inspecting, deleting). */
  memory(tenant: string, agent: string, embeddingModel: string): AgentMemory;
  /** Flushes the audit trail (when this call made the tool hub). Close the store yourself. */
  close(): Promise<void>;
}

/**
 * Defines the AI step kinds on `baton` and registers the agents' workflows.
 * @example
 * const ai = await enableAgents(baton, { gateway, store: await openAgentStore({ dataDir: '.baton' }), agents: [researcher], tools: [search] });
 */
export async function enableAgents(baton: Baton, options: EnableAgentsOptions): Promise<AgentsRuntime> {
  const agents =
    options.agents instanceof AgentRegistry
      ? options.agents
      : new AgentRegistry().register(...flatten(options.agents));
  let audit: StoreToolAuditSink | undefined;
  let tools: ToolRegistry;
  if (options.tools instanceof ToolRegistry) {
    tools = options.tools;
  } else {
    audit = new StoreToolAuditSink(options.store);
    tools = new ToolRegistry({ audit }).register(...(options.tools ?? []));
  }
  const { gateway, store, prompts } = options;
  registerAgentSpecKinds();
  const withPrompts = prompts ? { prompts } : {};
  baton
    .defineKind(llmKind({ gateway, ...withPrompts }))
    .defineKind(toolKind(tools))
    .defineKind(agentKind({ gateway, store, agents, tools, runs: baton, ...withPrompts }))
    .defineKind(planKind({ gateway, tools, register: (spec) => baton.register(spec), ...withPrompts }));
  for (const wf of agentWorkflows(agents)) await baton.register(wf);
  return {
    agents,
    tools,
    store,
    memory: (tenant, agent, embeddingModel) =>
      new AgentMemory({
        store,
        models: {
          chat: (body) => gateway.chat(body, { tenant }),
          chatStream: (body) => gateway.chatStream(body, { tenant }),
          embed: (body) => gateway.embed(body, { tenant }),
        },
        embeddingModel,
        tenant,
        agent,
      }),
    close: async () => {
      await audit?.close();
    },
  };
}

/**
 * Opens the agent store beside the engine's: the same SQLite file (`<dataDir>/baton.db`) or the same
 * Postgres database and schema.
 */
export function openAgentStore(
  where: { dataDir: string } | { databaseUrl: string; databaseSchema?: string },
): Promise<AgentStore> {
  if ('databaseUrl' in where) {
    return openPostgresAgentStore({
      connectionString: where.databaseUrl,
      ...(where.databaseSchema === undefined ? {} : { schema: where.databaseSchema }),
    });
  }
  return openSqliteAgentStore({ path: join(where.dataDir, 'baton.db') });
}

function flatten(list: (AgentDefinition | AgentRegistry)[] | undefined): AgentDefinition[] {
  return (list ?? []).flatMap((a) => (a instanceof AgentRegistry ? a.list() : [a]));
}
