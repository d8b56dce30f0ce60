/**
 * The AI steps of a CLI engine, for a config with `agents`, `tools` or `prompts`: the gateway of its
 * `gateway` section with its ledger, the agent store beside the engine's, and {@link enableAgents}.
 * @module
 */
import { resolve } from 'node:path';
import { enableAgents, openAgentStore } from '../agents/enable-agents.js';
import { PromptLibrary } from '../agents/prompts/index.js';
import type { Gateway } from '../gateway/gateway.js';
import type { Baton } from '../runtime/baton.js';
import type { Tracing } from '../telemetry/tracing/tracing.js';
import type { ToolRegistry } from '../tools/tool-registry.js';
import type { LoadedConfig } from './config.js';
import type { GlobalOptions } from './engine.js';
import { openGateway } from './gateway-session.js';

/**
 * Enables the config's agents on `baton`; returns the gateway they use and what closes them, after the
 * engine has closed.
 */
export async function enableConfigAgents(
  baton: Baton,
  globals: GlobalOptions,
  loaded: LoadedConfig,
  where: { dataDir: string; databaseUrl?: string },
  tracing?: Tracing,
): Promise<{ gateway: Gateway; tools: ToolRegistry; close: () => Promise<void> }> {
  const { gateway, ledger } = await openGateway(globals, undefined, tracing);
  const schema = loaded.config.databaseSchema;
  const store = await openAgentStore(
    where.databaseUrl === undefined
      ? { dataDir: where.dataDir }
      : { databaseUrl: where.databaseUrl, ...(schema === undefined ? {} : { databaseSchema: schema }) },
  );
  try {
    const prompts = loaded.config.prompts
      ? await PromptLibrary.open(resolve(loaded.baseDir, loaded.config.prompts))
      : undefined;
    const ai = await enableAgents(baton, {
      gateway,
      store,
      agents: loaded.config.agents ?? [],
      tools: loaded.config.tools ?? [],
      ...(prompts ? { prompts } : {}),
    });
    return {
      gateway,
      tools: ai.tools,
      close: async () => {
        await ai.close();
        await store.close();
        await gateway.close();
        await ledger.close();
      },
    };
  } catch (err) {
    await store.close();
    await gateway.close();
    await ledger.close();
    throw err;
  }
}
