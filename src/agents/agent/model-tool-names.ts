/**
 * Tool names as models accept them. Baton names MCP tools `server.tool`, but OpenAI and Anthropic take
 * only `[A-Za-z0-9_-]` (OpenAI up to 64 characters): the loop offers each tool under a model-safe name
 * and maps the model's calls back, so a grant and the audit trail keep the real name.
 * @module
 */
import { createHash } from 'node:crypto';

const MODEL_SAFE = /^[A-Za-z0-9_-]{1,64}$/;

/** The two-way map between real tool names and the names models see. */
export interface ModelToolNames {
  toModel(name: string): string;
  /** The real name of a name the model called; the name itself when it was never offered. */
  fromModel(name: string): string;
}

/** Builds the map for the tools offered in one loop. Deterministic: a replay maps the same way. */
export function modelToolNames(names: readonly string[]): ModelToolNames {
  const toModel = new Map<string, string>();
  const fromModel = new Map<string, string>();
  const taken = new Set(names.filter((n) => MODEL_SAFE.test(n)));
  for (const name of names) {
    let safe = name;
    if (!MODEL_SAFE.test(name)) {
      safe = name
        .replaceAll('.', '__')
        .replace(/[^A-Za-z0-9_-]/g, '_')
        .slice(0, 64);
      if (taken.has(safe) || safe.length === 0) {
        const suffix = `_${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
        safe = `${safe.slice(0, 64 - suffix.length)}${suffix}`;
      }
    }
    taken.add(safe);
    toModel.set(name, safe);
    fromModel.set(safe, name);
  }
  return {
    toModel: (name) => toModel.get(name) ?? name,
    fromModel: (name) => fromModel.get(name) ?? name,
  };
}
