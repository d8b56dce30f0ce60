/**
 * Shared by the tool hub's tests: a registry with a fake clock and fast retries, and a read-only tool.
 * It lives under test/ so that nothing of it ships in dist.
 */
import { z } from 'zod';
import { MemoryToolAuditSink } from '../../src/tools/audit.js';
import { defineTool } from '../../src/tools/define-tool.js';
import { ToolRegistry, type ToolRegistryOptions } from '../../src/tools/tool-registry.js';

/** A registry with a fake monotonic clock that moves 5 ms per reading, and fast retries. */
export function setup(options: Partial<ToolRegistryOptions> = {}) {
  const audit = new MemoryToolAuditSink();
  let ticks = 0;
  const registry = new ToolRegistry({
    audit,
    now: () => {
      ticks += 5;
      return ticks;
    },
    clock: () => 1_700_000_000_000,
    random: () => 0.5,
    retry: { attempts: 3, baseMs: 1, maxMs: 2 },
    ...options,
  });
  return { registry, audit };
}

export const searchDocs = defineTool({
  name: 'search_docs',
  description: 'Searches the documentation.',
  input: z.object({ query: z.string().min(1), limit: z.number().int().max(50).optional() }),
  handler: ({ query }) => [{ title: `About ${query}` }],
});
