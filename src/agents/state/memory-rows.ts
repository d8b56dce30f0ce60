/**
 * What both agent-store adapters share for long-term memory: argument checks, how memories become
 * rows and back, the embedding encoding and the recall ranking. No I/O.
 * @module
 */
import { isDeepStrictEqual } from 'node:util';
import { newRunId } from '../../store/ids.js';
import {
  DEFAULT_LIST_LIMIT,
  invalid,
  isPlainObject,
  nonEmpty,
  optionalText,
  positiveInteger,
  toJson,
} from './agent-rows.js';
import type { AgentAuditRecord, MemoryRecord, NewMemory, RecalledMemory, RecallQuery } from './port.js';

/** How many memories {@link RecallQuery.limit} returns when none is given. */
export const DEFAULT_RECALL_LIMIT = 5;

function checkEmbedding(embedding: unknown, what: string): number[] {
  if (!Array.isArray(embedding) || embedding.length === 0) {
    throw invalid(
      `${what} must be a non-empty array of numbers`,
      'Pass the vector your embedding model returned',
    );
  }
  for (const [i, v] of embedding.entries()) {
    // Stored as float32: a finite double beyond its range would come back as Infinity.
    if (typeof v !== 'number' || !Number.isFinite(Math.fround(v))) {
      throw invalid(
        `${what}[${i}] is ${String(v)}, not a finite float32`,
        'Check the embedding model output',
      );
    }
  }
  return embedding as number[];
}

/** Float32, little-endian: 4 bytes a dimension, and the same bytes in both databases. */
export function encodeEmbedding(embedding: readonly number[]): Buffer {
  const buffer = Buffer.alloc(embedding.length * 4);
  for (const [i, v] of embedding.entries()) buffer.writeFloatLE(v, i * 4);
  return buffer;
}

/** The inverse of {@link encodeEmbedding}, widened to doubles for the similarity sums. */
export function decodeEmbedding(bytes: Uint8Array): Float64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Cosine similarity; 0 when either vector is all zeros (it has no direction). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 || nb === 0) return 0;
  return Math.max(-1, Math.min(1, dot / Math.sqrt(na * nb)));
}

/** A memory ready to insert, with its id, stamp and audit row. */
export interface MemoryInsert {
  record: MemoryRecord;
  embedding: Buffer;
  dims: number;
  metadata: string;
  audit: AgentAuditRecord;
}

/** Checks a memory to remember and gives it its id, its stamp and its `memory.write` audit row. */
export function checkNewMemory(memory: NewMemory, now: number): MemoryInsert {
  const tenant = nonEmpty(memory?.tenant, 'tenant');
  const agent = nonEmpty(memory.agent, 'agent');
  if (typeof memory.text !== 'string')
    throw invalid('memory text must be a string', 'Pass what to remember as text');
  const embedding = checkEmbedding(memory.embedding, 'embedding');
  const metadata = memory.metadata ?? {};
  if (!isPlainObject(metadata)) throw invalid('memory metadata must be an object', 'Pass { key: value }');
  const metadataJson = toJson(metadata, 'memory metadata');
  const runId = optionalText(memory.runId, 'runId');
  const stepId = optionalText(memory.stepId, 'stepId');
  // The run id's time-ordered format, under its own prefix: memories sort by creation.
  const id = `mem_${newRunId(now).slice('run_'.length)}`;
  const record: MemoryRecord = {
    id,
    tenant,
    agent,
    text: memory.text,
    metadata: JSON.parse(metadataJson),
    createdAt: now,
    ...(runId === null ? {} : { runId }),
  };
  const audit: AgentAuditRecord = {
    at: now,
    type: 'memory.write',
    tenant,
    ...(runId === null ? {} : { runId }),
    ...(stepId === null ? {} : { stepId }),
    subject: id,
    outcome: 'ok',
    data: { agent, dims: embedding.length },
  };
  return {
    record,
    embedding: encodeEmbedding(embedding),
    dims: embedding.length,
    metadata: metadataJson,
    audit,
  };
}

/** The columns of `agent_memories` in insert order. */
export const MEMORY_INSERT_COLUMNS = 'id, tenant, agent, text, embedding, dims, metadata, run_id, created_at';

/** The values of a memory's row, in the order of {@link MEMORY_INSERT_COLUMNS}. */
export function memoryValues(m: MemoryInsert): unknown[] {
  const r = m.record;
  return [r.id, r.tenant, r.agent, r.text, m.embedding, m.dims, m.metadata, r.runId ?? null, r.createdAt];
}

/** The audit row of a deleted memory. */
export function forgetAudit(
  tenant: string,
  id: string,
  agent: string,
  by: { runId?: string; stepId?: string } | undefined,
  now: number,
): AgentAuditRecord {
  const runId = optionalText(by?.runId, 'runId');
  const stepId = optionalText(by?.stepId, 'stepId');
  return {
    at: now,
    type: 'memory.delete',
    tenant,
    ...(runId === null ? {} : { runId }),
    ...(stepId === null ? {} : { stepId }),
    subject: id,
    outcome: 'ok',
    data: { agent },
  };
}

/** Checks the arguments of `forget`. */
export function checkForget(tenant: string, id: string, by?: { runId?: string; stepId?: string }): void {
  nonEmpty(tenant, 'tenant');
  nonEmpty(id, 'memory id');
  optionalText(by?.runId, 'runId');
  optionalText(by?.stepId, 'stepId');
}

/** A checked recall query. */
export interface RecallPlan {
  tenant: string;
  agent: string;
  embedding: number[];
  limit: number;
  minScore: number;
  metadata: Record<string, unknown>;
}

/** Checks a recall query and fills in its defaults. */
export function checkRecall(query: RecallQuery): RecallPlan {
  const tenant = nonEmpty(query?.tenant, 'tenant');
  const agent = nonEmpty(query.agent, 'agent');
  const embedding = checkEmbedding(query.embedding, 'recall embedding');
  const limit = positiveInteger(query.limit, DEFAULT_RECALL_LIMIT, 'recall limit');
  const minScore = query.minScore ?? -1;
  if (typeof minScore !== 'number' || Number.isNaN(minScore)) {
    throw invalid(
      `minScore must be a number, got ${String(minScore)}`,
      'Pass a cosine similarity from -1 to 1',
    );
  }
  const metadata = query.metadata ?? {};
  if (!isPlainObject(metadata)) throw invalid('recall metadata must be an object', 'Pass { key: value }');
  return { tenant, agent, embedding, limit, minScore, metadata };
}

/** Checks the filter of `listMemories` and fills in its limit. */
export function checkListMemories(filter: { tenant: string; agent?: string; limit?: number }): {
  tenant: string;
  agent: string | null;
  limit: number;
} {
  return {
    tenant: nonEmpty(filter?.tenant, 'tenant'),
    agent: optionalText(filter.agent, 'agent'),
    limit: positiveInteger(filter.limit, DEFAULT_LIST_LIMIT, 'memory list limit'),
  };
}

/** A memory row, as either database returns it. */
export interface MemoryRow {
  id: string;
  tenant: string;
  agent: string;
  text: string;
  metadata: string;
  run_id: string | null;
  created_at: number | string;
}

/** The memory columns read back (never the embedding, which recall reads on its own). */
export const MEMORY_COLUMNS = 'id, tenant, agent, text, metadata, run_id, created_at';

/** A memory row as the port's {@link MemoryRecord}. */
export function toMemoryRecord(row: MemoryRow): MemoryRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    agent: row.agent,
    text: row.text,
    metadata: JSON.parse(row.metadata),
    createdAt: Number(row.created_at),
    ...(row.run_id === null ? {} : { runId: row.run_id }),
  };
}

/**
 * Ranks the candidates (memories of the query's tenant and agent, of its dimension): metadata filter,
 * cosine similarity, `minScore`, best first (the newest first among equals), the first `limit`.
 */
export function rankMemories(
  plan: RecallPlan,
  rows: (MemoryRow & { embedding: Uint8Array })[],
): RecalledMemory[] {
  const filters = Object.entries(plan.metadata);
  const ranked: RecalledMemory[] = [];
  for (const row of rows) {
    const memory = toMemoryRecord(row);
    if (
      !filters.every(
        ([k, v]) => Object.hasOwn(memory.metadata, k) && isDeepStrictEqual(memory.metadata[k], v),
      )
    ) {
      continue;
    }
    const score = cosine(plan.embedding, decodeEmbedding(row.embedding));
    if (score >= plan.minScore) ranked.push({ memory, score });
  }
  ranked.sort(
    (a, b) =>
      b.score - a.score ||
      b.memory.createdAt - a.memory.createdAt ||
      (a.memory.id < b.memory.id ? 1 : a.memory.id > b.memory.id ? -1 : 0),
  );
  return ranked.slice(0, plan.limit);
}
