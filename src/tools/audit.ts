/**
 * The audit trail of tool calls: one {@link ToolAuditRecord} per call a model (or a `tool` step)
 * asked for, whether it ran, failed or was refused. Arguments are recorded masked.
 * @module
 */
import type { ToolErrorCode } from './tool-errors.js';

/**
 * How a call ended: `ok`; `error` (it was attempted, or its arguments were rejected, and failed
 * with `errorCode`); `refused` (the tool is not in the caller's grant, so nothing was looked at or
 * run; a sign of a confused model or of a prompt injection).
 */
export type ToolCallOutcomeKind = 'ok' | 'error' | 'refused';

/** One tool call, as recorded. */
export interface ToolAuditRecord {
  /** When the call started (epoch milliseconds). */
  at: number;
  runId?: string;
  stepId?: string;
  tenant?: string;
  /** The model's tool call id, when there was one. */
  callId?: string;
  /** The name the caller asked for (cut to 128 chars: a model may send anything). */
  tool: string;
  /** The arguments as JSON text with PII replaced by placeholders (`[EMAIL_1]`), cut to a few KiB. */
  arguments: string;
  outcome: ToolCallOutcomeKind;
  /** Set unless `outcome` is `ok`. */
  errorCode?: ToolErrorCode;
  /** The code of the error a `TOOL_FAILED` wraps (`MCP_UNAVAILABLE`), when it was a Baton error. */
  causeCode?: string;
  /** Times the tool was invoked: 0 when nothing ran, more than 1 after retries. */
  attempts: number;
  /** Wall time of the whole call, retries and backoff included. */
  durationMs: number;
  /** UTF-8 size of the tool's result before capping; 0 when it failed. */
  resultBytes: number;
  /** Whether the result was cut to the cap before it went back to the model. */
  truncated: boolean;
}

/**
 * Where audit records go. `record` is synchronous and must not throw for ordinary reasons: an
 * adapter that writes to a database buffers and flushes on its own. The store-backed sink (records
 * kept with the run's history, shown on the dashboard) comes with the engine wiring; until then use
 * {@link MemoryToolAuditSink} or your own.
 */
export interface ToolAuditSink {
  record(entry: ToolAuditRecord): void;
}

/** Keeps records in memory, for tests and `baton dev` diagnostics. */
export class MemoryToolAuditSink implements ToolAuditSink {
  readonly records: ToolAuditRecord[] = [];

  record(entry: ToolAuditRecord): void {
    this.records.push(entry);
  }
}
