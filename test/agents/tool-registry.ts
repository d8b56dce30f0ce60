import { MemoryToolAuditSink } from '../../src/tools/audit.js';
import { ToolRegistry } from '../../src/tools/tool-registry.js';

/** A tool registry that never retries a failed call, so a test sees each failure as it happens. */
export function toolRegistry(audit = new MemoryToolAuditSink()): ToolRegistry {
  return new ToolRegistry({ audit, retry: { attempts: 0, baseMs: 1, maxMs: 1 } });
}
