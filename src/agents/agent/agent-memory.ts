/**
 * Long-term memory for code: facts embedded through the gateway and kept in Baton's own store, per
 * tenant and agent. Agents with `memory.longTerm` reach the same memory through the `memory_remember`
 * and `memory_recall` tools; workflows and operators use this class (to seed, inspect or delete).
 * @module
 */
import { BatonError } from '../../core/errors.js';
import type { RunModels } from '../../gateway/gateway.js';
import type { AgentStore, MemoryRecord, RecalledMemory } from '../state/port.js';
import type { CallUsage } from './bounds.js';

/** An embedding and what it cost. */
export interface Embedded {
  embedding: number[];
  usage: CallUsage;
}

/** Embeds one text with `model` through the gateway (charged to whoever `models` is bound to). */
export async function embedText(models: RunModels, model: string, text: string): Promise<Embedded> {
  const { response, meta } = await models.embed({ model, input: text });
  const raw = response.data[0]?.embedding;
  const embedding =
    typeof raw === 'string'
      ? Array.from(new Float32Array(Buffer.from(raw, 'base64').buffer.slice(0)))
      : (raw as number[] | undefined);
  if (!embedding || embedding.length === 0) {
    throw new BatonError('PROVIDER_BAD_RESPONSE', `the embeddings model ${model} returned no embedding`, {
      hint: 'Check that the route serves an embeddings model',
    });
  }
  return {
    embedding,
    usage: { inputTokens: meta.usage?.inputTokens ?? 0, outputTokens: 0, costUsd: meta.costUsd },
  };
}

/** Long-term memory of one tenant's agent. */
export class AgentMemory {
  constructor(
    private readonly options: {
      store: AgentStore;
      /** Gateway calls, bound to the run or tenant that pays for the embeddings. */
      models: RunModels;
      embeddingModel: string;
      tenant: string;
      agent: string;
    },
  ) {}

  /** Remembers a fact (the store audits the write). */
  async remember(
    text: string,
    options: { metadata?: Record<string, unknown>; runId?: string; stepId?: string } = {},
  ): Promise<{ memory: MemoryRecord; usage: CallUsage }> {
    const { embedding, usage } = await embedText(this.options.models, this.options.embeddingModel, text);
    const memory = await this.options.store.remember({
      tenant: this.options.tenant,
      agent: this.options.agent,
      text,
      embedding,
      ...options,
    });
    return { memory, usage };
  }

  /** The memories closest to `query`, best first, with their similarity. */
  async recall(
    query: string,
    options: { limit?: number; minScore?: number; metadata?: Record<string, unknown> } = {},
  ): Promise<{ memories: RecalledMemory[]; usage: CallUsage }> {
    const { embedding, usage } = await embedText(this.options.models, this.options.embeddingModel, query);
    const memories = await this.options.store.recall({
      tenant: this.options.tenant,
      agent: this.options.agent,
      embedding,
      ...options,
    });
    return { memories, usage };
  }

  /** Deletes a memory of this tenant (audited); false when there was none. */
  forget(id: string): Promise<boolean> {
    return this.options.store.forget(this.options.tenant, id);
  }
}
