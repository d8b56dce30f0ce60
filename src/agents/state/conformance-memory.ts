/**
 * The long-term memory, audit and pruning sections of the {@link AgentStore} conformance suite (see
 * `conformance.ts`).
 * @module
 */
import { describe, expect } from 'vitest';
import { type ConformanceHarness, expectInvalid, T0 } from './conformance-harness.js';
import type { AgentAuditRecord, AgentStore, NewMemory } from './port.js';

const fact = (extra: Partial<NewMemory> = {}): NewMemory => ({
  tenant: 'acme',
  agent: 'support',
  text: 'the customer prefers email',
  embedding: [1, 0, 0],
  ...extra,
});

/** Remembers one memory per embedding, the clock moving 1 ms between them; returns their ids. */
async function rememberAll(
  store: AgentStore,
  clock: { t: number },
  embeddings: number[][],
): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, embedding] of embeddings.entries()) {
    ids.push((await store.remember(fact({ text: `fact ${i}`, embedding }))).id);
    clock.t += 1;
  }
  return ids;
}

export function memoryCases({ test, open, clock }: ConformanceHarness): void {
  describe('long-term memory', () => {
    test('remember assigns a unique id and audits the write', async () => {
      const store = await open();
      const a = await store.remember(
        fact({
          metadata: { customer: 'c1', source: { kind: 'ticket', n: 7 } },
          runId: 'run_1',
          stepId: 'triage',
        }),
      );
      const b = await store.remember(fact({ text: 'another' }));
      expect(typeof a.id).toBe('string');
      expect(a.id).not.toBe(b.id);
      expect(a).toEqual({
        id: a.id,
        tenant: 'acme',
        agent: 'support',
        text: 'the customer prefers email',
        metadata: { customer: 'c1', source: { kind: 'ticket', n: 7 } },
        createdAt: T0,
        runId: 'run_1',
      });
      expect(b).toEqual({ ...b, metadata: {}, createdAt: T0 });
      expect(b.runId).toBeUndefined();
      const audit = await store.listAudit({ type: 'memory.write' });
      expect(audit.map((r) => r.subject)).toEqual([b.id, a.id]);
      expect(audit[1]).toMatchObject({
        at: T0,
        type: 'memory.write',
        tenant: 'acme',
        runId: 'run_1',
        stepId: 'triage',
        subject: a.id,
        outcome: 'ok',
      });
      expect(await store.listMemories({ tenant: 'acme' })).toEqual(expect.arrayContaining([a, b]));
    });

    test('recall ranks by cosine similarity, best first, with scores, 5 by default', async () => {
      const store = await open();
      const [same, close, orthogonal, opposite] = await rememberAll(store, clock, [
        [2, 0, 0],
        [0.9, 0.1, 0],
        [0, 1, 0],
        [-1, 0, 0],
        [0, 0, 1],
        [0, 0.5, 0.5],
        [0.5, 0.5, 0],
      ]);
      const all = await store.recall({ tenant: 'acme', agent: 'support', embedding: [1, 0, 0] });
      expect(all).toHaveLength(5);
      const scores = all.map((r) => r.score);
      expect([...scores].sort((x, y) => y - x)).toEqual(scores);
      expect(all[0]?.memory.id).toBe(same);
      expect(all[0]?.score).toBeCloseTo(1, 6);
      expect(all[1]?.memory.id).toBe(close);
      expect(all[1]?.score).toBeCloseTo(0.9 / Math.sqrt(0.82), 6);
      expect(all[0]?.memory).toMatchObject({ tenant: 'acme', agent: 'support', text: 'fact 0' });
      expect(all[0]?.memory).not.toHaveProperty('embedding');
      const two = await store.recall({ tenant: 'acme', agent: 'support', embedding: [1, 0, 0], limit: 2 });
      expect(two.map((r) => r.memory.id)).toEqual([same, close]);
      const every = await store.recall({
        tenant: 'acme',
        agent: 'support',
        embedding: [1, 0, 0],
        limit: 100,
      });
      expect(every).toHaveLength(7);
      expect(every.at(-1)?.memory.id).toBe(opposite);
      expect(every.at(-1)?.score).toBeCloseTo(-1, 6);
      expect(every.find((r) => r.memory.id === orthogonal)?.score).toBeCloseTo(0, 6);
    });

    test('minScore and metadata filter what recall returns', async () => {
      const store = await open();
      const c1 = await store.remember(fact({ metadata: { customer: 'c1', tags: ['vip'], n: 1 } }));
      const c2 = await store.remember(fact({ embedding: [0.6, 0.8, 0], metadata: { customer: 'c2', n: 1 } }));
      await store.remember(fact({ embedding: [0, 1, 0], metadata: { customer: 'c1' } }));
      const query = { tenant: 'acme', agent: 'support', embedding: [1, 0, 0] };
      const ids = async (extra: object) =>
        (await store.recall({ ...query, ...extra })).map((r) => r.memory.id);
      expect(await ids({ minScore: 0.5 })).toEqual([c1.id, c2.id]);
      expect(await ids({ minScore: 0.7 })).toEqual([c1.id]);
      expect(await ids({ minScore: 1.5 })).toEqual([]);
      expect(await ids({ metadata: { customer: 'c1' }, minScore: 0.5 })).toEqual([c1.id]);
      expect(await ids({ metadata: { n: 1 } })).toEqual([c1.id, c2.id]);
      expect(await ids({ metadata: { tags: ['vip'] } })).toEqual([c1.id]);
      expect(await ids({ metadata: { customer: 'c1', n: 2 } })).toEqual([]);
      expect(await ids({ metadata: { n: '1' } })).toEqual([]);
      expect(await ids({ metadata: { missing: null } })).toEqual([]);
    });

    test('recall compares embeddings of the same dimension only', async () => {
      const store = await open();
      const two = await store.remember(fact({ embedding: [1, 0] }));
      const three = await store.remember(fact({ embedding: [1, 0, 0] }));
      const recalled = async (embedding: number[]) =>
        (await store.recall({ tenant: 'acme', agent: 'support', embedding })).map((r) => r.memory.id);
      expect(await recalled([1, 0, 0])).toEqual([three.id]);
      expect(await recalled([0, 1])).toEqual([two.id]);
      expect(await recalled([1, 0, 0, 0])).toEqual([]);
    });

    test('embeddings keep float32 precision, and an all-zero vector scores 0', async () => {
      const store = await open();
      const embedding = Array.from({ length: 1536 }, (_, i) => Math.sin(i + 1) / 3);
      const m = await store.remember(fact({ embedding }));
      const zero = await store.remember(fact({ embedding: embedding.map(() => 0) }));
      const [best, second] = await store.recall({ tenant: 'acme', agent: 'support', embedding });
      expect(best?.memory.id).toBe(m.id);
      expect(best?.score).toBeCloseTo(1, 6);
      expect(second).toEqual({ memory: zero, score: 0 });
    });

    test('tenants and agents are isolated', async () => {
      const store = await open();
      const a = await store.remember(fact({ tenant: 'tenant-a' }));
      const b = await store.remember(fact({ tenant: 'tenant-b' }));
      const otherAgent = await store.remember(fact({ tenant: 'tenant-a', agent: 'sales' }));
      const query = { agent: 'support', embedding: [1, 0, 0], limit: 100 };
      const ids = async (tenant: string, agent = 'support') =>
        (await store.recall({ ...query, tenant, agent })).map((r) => r.memory.id);
      expect(await ids('tenant-a')).toEqual([a.id]);
      expect(await ids('tenant-b')).toEqual([b.id]);
      expect(await ids('tenant-a', 'sales')).toEqual([otherAgent.id]);
      expect(await ids('tenant-b', 'sales')).toEqual([]);
      expect(await ids('tenant-c')).toEqual([]);
      const listed = await store.listMemories({ tenant: 'tenant-a' });
      expect(listed.map((m) => m.id).sort()).toEqual([a.id, otherAgent.id].sort());
      expect(await store.listMemories({ tenant: 'tenant-a', agent: 'sales' })).toEqual([otherAgent]);
      expect(await store.listMemories({ tenant: 'tenant-b' })).toEqual([b]);
    });

    test('forget deletes within the tenant only and audits the deletion', async () => {
      const store = await open();
      const a = await store.remember(fact({ tenant: 'tenant-a' }));
      const b = await store.remember(fact({ tenant: 'tenant-b' }));
      clock.t += 5;
      expect(await store.forget('tenant-b', a.id)).toBe(false);
      expect(await store.listMemories({ tenant: 'tenant-a' })).toEqual([a]);
      expect(await store.forget('tenant-a', a.id, { runId: 'run_9', stepId: 'cleanup' })).toBe(true);
      expect(await store.forget('tenant-a', a.id)).toBe(false);
      expect(await store.forget('tenant-a', 'mem_unknown')).toBe(false);
      expect(await store.listMemories({ tenant: 'tenant-a' })).toEqual([]);
      expect(await store.recall({ tenant: 'tenant-a', agent: 'support', embedding: [1, 0, 0] })).toEqual([]);
      expect(await store.listMemories({ tenant: 'tenant-b' })).toEqual([b]);
      expect(await store.listAudit({ type: 'memory.delete' })).toEqual([
        {
          at: T0 + 5,
          type: 'memory.delete',
          tenant: 'tenant-a',
          runId: 'run_9',
          stepId: 'cleanup',
          subject: a.id,
          outcome: 'ok',
          data: { agent: 'support' },
        },
      ]);
    });

    test('listMemories returns the newest first, up to its limit', async () => {
      const store = await open();
      const ids = await rememberAll(store, clock, [[1], [2], [3], [4]]);
      const listed = await store.listMemories({ tenant: 'acme', agent: 'support' });
      expect(listed.map((m) => m.id)).toEqual([...ids].reverse());
      expect(listed.map((m) => m.createdAt)).toEqual([T0 + 3, T0 + 2, T0 + 1, T0]);
      expect((await store.listMemories({ tenant: 'acme', limit: 2 })).map((m) => m.id)).toEqual([
        ids[3],
        ids[2],
      ]);
    });

    test('malformed memory calls are refused with INVALID_ARGUMENT and write nothing', async () => {
      const store = await open();
      const bad: [string, Partial<NewMemory>][] = [
        ['empty tenant', { tenant: '' }],
        ['empty agent', { agent: '' }],
        ['empty embedding', { embedding: [] }],
        ['NaN', { embedding: [1, Number.NaN] }],
        ['Infinity', { embedding: [Number.POSITIVE_INFINITY, 0] }],
        ['beyond float32', { embedding: [1e39, 0] }],
        ['a string in the embedding', { embedding: ['1' as unknown as number] }],
        ['metadata array', { metadata: [] as unknown as Record<string, unknown> }],
        ['text not a string', { text: 7 as unknown as string }],
      ];
      for (const [what, extra] of bad) await expectInvalid(store.remember(fact(extra)), what);
      const query = { tenant: 'acme', agent: 'support', embedding: [1, 0, 0] };
      await expectInvalid(store.recall({ ...query, embedding: [] }), 'recall: empty embedding');
      await expectInvalid(store.recall({ ...query, embedding: [Number.NaN] }), 'recall: NaN');
      await expectInvalid(store.recall({ ...query, tenant: '' }), 'recall: empty tenant');
      await expectInvalid(store.recall({ ...query, agent: '' }), 'recall: empty agent');
      await expectInvalid(store.recall({ ...query, limit: 0 }), 'recall: limit 0');
      await expectInvalid(store.recall({ ...query, limit: 1.5 }), 'recall: limit 1.5');
      await expectInvalid(store.listMemories({ tenant: '' }), 'list: empty tenant');
      await expectInvalid(store.forget('', 'mem_x'), 'forget: empty tenant');
      await expectInvalid(store.forget('acme', ''), 'forget: empty id');
      expect(await store.listMemories({ tenant: 'acme' })).toEqual([]);
      expect(await store.listAudit()).toEqual([]);
    });
  });
}

const tool = (at: number, extra: Partial<AgentAuditRecord> = {}): AgentAuditRecord => ({
  at,
  type: 'tool',
  tenant: 'acme',
  runId: 'run_1',
  stepId: 'act',
  subject: 'search',
  outcome: 'ok',
  data: { attempts: 1, durationMs: 12.5, arguments: '{"q":"[EMAIL_1]"}' },
  ...extra,
});

export function auditCases({ test, open }: ConformanceHarness): void {
  describe('audit', () => {
    test('rows are listed newest first and filtered by tenant, run, type and limit', async () => {
      const store = await open();
      const rows = [
        tool(T0),
        tool(T0 + 1, {
          tenant: 'other',
          runId: 'run_2',
          outcome: 'refused',
          data: { errorCode: 'TOOL_NOT_GRANTED' },
        }),
        tool(T0 + 2, {
          type: 'memory.write',
          subject: 'mem_1',
          stepId: undefined,
          data: { agent: 'support' },
        }),
        tool(T0 + 3, { tenant: undefined, runId: undefined, stepId: undefined, outcome: 'error' }),
      ];
      await store.appendAudit(rows.slice(0, 2));
      await store.appendAudit(rows.slice(2));
      const [r0, r1, r2, r3] = rows.map((r) => JSON.parse(JSON.stringify(r)));
      expect(await store.listAudit()).toEqual([r3, r2, r1, r0]);
      expect(await store.listAudit({ tenant: 'acme' })).toEqual([r2, r0]);
      expect(await store.listAudit({ runId: 'run_2' })).toEqual([r1]);
      expect(await store.listAudit({ type: 'tool' })).toEqual([r3, r1, r0]);
      expect(await store.listAudit({ tenant: 'acme', type: 'tool' })).toEqual([r0]);
      expect(await store.listAudit({ limit: 2 })).toEqual([r3, r2]);
      expect(await store.listAudit({ tenant: 'nobody' })).toEqual([]);
    });

    test('rows of the same millisecond are listed newest first too', async () => {
      const store = await open();
      await store.appendAudit([tool(T0, { subject: 'a' }), tool(T0, { subject: 'b' })]);
      await store.appendAudit([tool(T0, { subject: 'c' })]);
      expect((await store.listAudit()).map((r) => r.subject)).toEqual(['c', 'b', 'a']);
    });

    test('a batch with a malformed row is refused whole', async () => {
      const store = await open();
      const bad: [string, Partial<AgentAuditRecord>][] = [
        ['unknown type', { type: 'memory.read' as 'tool' }],
        ['empty subject', { subject: '' }],
        ['at not an integer', { at: Number.NaN }],
        ['data not an object', { data: 'x' as unknown as Record<string, unknown> }],
        ['bigint in data', { data: { n: 1n } }],
      ];
      for (const [what, extra] of bad)
        await expectInvalid(store.appendAudit([tool(T0), tool(T0, extra)]), what);
      await expectInvalid(store.listAudit({ limit: 0 }), 'limit 0');
      await expectInvalid(store.listAudit({ type: 'nope' as 'tool' }), 'unknown filter type');
      await store.appendAudit([]);
      expect(await store.listAudit()).toEqual([]);
    });
  });
}

export function pruneCases({ test, open }: ConformanceHarness): void {
  describe('pruning', () => {
    test('pruneRuns deletes journals, run memory and audit rows of those runs; memories stay', async () => {
      const store = await open();
      for (const runId of ['run_1', 'run_2', 'run_3']) {
        await store.appendJournal({ runId, stepId: 'a' }, { seq: 0, type: 'model', data: runId });
        await store.appendJournal({ runId, stepId: 'b', item: 3 }, { seq: 0, type: 'model', data: runId });
        await store.writeRunMemory(runId, { k: runId });
        await store.appendAudit([tool(T0, { runId })]);
      }
      const memory = await store.remember(fact({ runId: 'run_1' }));
      await store.pruneRuns(['run_1', 'run_3', 'run_unknown']);
      await store.pruneRuns([]);
      for (const runId of ['run_1', 'run_3']) {
        expect(await store.readJournal({ runId, stepId: 'a' })).toEqual([]);
        expect(await store.readJournal({ runId, stepId: 'b', item: 3 })).toEqual([]);
        expect(await store.readRunMemory(runId)).toEqual({});
        expect(await store.listAudit({ runId })).toEqual([]);
      }
      expect(await store.readJournal({ runId: 'run_2', stepId: 'a' })).toHaveLength(1);
      expect(await store.readJournal({ runId: 'run_2', stepId: 'b', item: 3 })).toHaveLength(1);
      expect(await store.readRunMemory('run_2')).toEqual({ k: 'run_2' });
      expect(await store.listAudit({ runId: 'run_2' })).toHaveLength(1);
      expect(await store.listMemories({ tenant: 'acme' })).toEqual([memory]);
      await expectInvalid(store.pruneRuns(['']), 'empty run id');
    });
  });
}
