/**
 * The conformance suite of the {@link AgentStore} port. Every adapter runs it unchanged; a skip must
 * state its reason. What only one adapter can show (its raw tables, its migrations) stays in that
 * adapter's test file. Long-term memory, audit and pruning live in `conformance-memory.ts`.
 * @example
 * agentStoreConformance('my-adapter', async () => {
 *   const db = await makeEmptyDatabase();
 *   return { open: (options) => openMyAgentStore({ ...options, url: db.url }), cleanup: db.drop };
 * });
 * @module
 */
import { describe, expect } from 'vitest';
import { adapterHarness } from '../../testing/adapter-conformance.js';
import {
  type AgentStoreConformanceSkip,
  type AgentStoreStorage,
  type ConformanceHarness,
  expectInvalid,
  T0,
} from './conformance-harness.js';
import { auditCases, memoryCases, pruneCases } from './conformance-memory.js';

export type { AgentStoreConformanceSkip, AgentStoreStorage } from './conformance-harness.js';

/**
 * Runs the AgentStore conformance suite against the adapter whose fresh storage `storage` makes
 * (called once per test).
 */
export function agentStoreConformance(
  name: string,
  storage: () => Promise<AgentStoreStorage>,
  options: { skip?: AgentStoreConformanceSkip[] } = {},
): void {
  describe(`AgentStore conformance: ${name}`, () => {
    const harness: ConformanceHarness = adapterHarness(storage, options.skip, T0);
    const { test, open, clock } = harness;
    const scope = { runId: 'run_1', stepId: 'triage' };

    describe('journal', () => {
      test('entries come back in seq order, item -1 by default, stamped by the store clock', async () => {
        const store = await open();
        const appended = [];
        for (const [seq, type] of ['model', 'tool-started', 'tool'].entries()) {
          appended.push(await store.appendJournal(scope, { seq, type, data: { n: seq } }));
          clock.t += 10;
        }
        const expected = [
          { seq: 0, type: 'model', data: { n: 0 }, at: T0 },
          { seq: 1, type: 'tool-started', data: { n: 1 }, at: T0 + 10 },
          { seq: 2, type: 'tool', data: { n: 2 }, at: T0 + 20 },
        ];
        expect(appended).toEqual(expected);
        expect(await store.readJournal(scope)).toEqual(expected);
        expect(await store.readJournal({ ...scope, item: -1 })).toEqual(expected);
        expect(await store.readJournal({ ...scope, stepId: 'other' })).toEqual([]);
      });

      test('entries appended out of order still read in seq order', async () => {
        const store = await open();
        for (const seq of [2, 0, 1]) await store.appendJournal(scope, { seq, type: 'model', data: seq });
        expect((await store.readJournal(scope)).map((e) => e.seq)).toEqual([0, 1, 2]);
      });

      test('scopes never mix: run, step and item each keep their own journal', async () => {
        const store = await open();
        const scopes = [
          { runId: 'run_1', stepId: 'a' },
          { runId: 'run_1', stepId: 'a', item: 0 },
          { runId: 'run_1', stepId: 'a', item: 1 },
          { runId: 'run_1', stepId: 'b' },
          { runId: 'run_2', stepId: 'a' },
        ];
        for (const s of scopes) await store.appendJournal(s, { seq: 0, type: 'model', data: s });
        for (const s of scopes) {
          expect(await store.readJournal(s)).toEqual([{ seq: 0, type: 'model', data: s, at: T0 }]);
        }
      });

      test('a taken seq writes nothing and returns the entry already there', async () => {
        const store = await open();
        const first = await store.appendJournal(scope, { seq: 0, type: 'model', data: { by: 'first' } });
        clock.t += 1000;
        const second = await store.appendJournal(scope, { seq: 0, type: 'tool', data: { by: 'second' } });
        expect(second).toEqual(first);
        expect(await store.readJournal(scope)).toEqual([first]);
      });

      test('two stores racing on the same seqs: the first writer wins, and both are told so', async () => {
        const a = await open();
        const b = await open(true);
        const seqs = Array.from({ length: 20 }, (_, i) => i);
        const results = await Promise.all(
          seqs.map((seq) =>
            Promise.all([
              a.appendJournal(scope, { seq, type: 'model', data: { by: 'a', seq } }),
              b.appendJournal(scope, { seq, type: 'model', data: { by: 'b', seq } }),
            ]),
          ),
        );
        for (const [fromA, fromB] of results) expect(fromA).toEqual(fromB);
        const winners = results.map(([winner]) => winner);
        expect(await a.readJournal(scope)).toEqual(winners);
        expect(await b.readJournal(scope)).toEqual(winners);
      });

      test('data round-trips arbitrary JSON', async () => {
        const store = await open();
        const values: unknown[] = [
          { nested: { deeper: { list: [1, [2, [3, { four: 4 }]]], empty: {}, none: [] } } },
          { text: 'naïve café 日本語 עברית 🚀👩‍👩‍👧', nul: 'a\u0000b', lone: '\ud800', quote: '"\'\\\n\t' },
          { numbers: [0, -1.5, 1e-300, 1.7976931348623157e308, Number.MAX_SAFE_INTEGER, -42] },
          [true, false, null, 'x'],
          'a bare string',
          3.25,
          null,
        ];
        for (const [seq, data] of values.entries())
          await store.appendJournal(scope, { seq, type: 'model', data });
        expect((await store.readJournal(scope)).map((e) => e.data)).toEqual(values);
        // `undefined` is not JSON: it is kept as null.
        expect(
          (await store.appendJournal(scope, { seq: values.length, type: 'tool', data: undefined })).data,
        ).toBeNull();
      });

      test('malformed journal calls are refused with INVALID_ARGUMENT and write nothing', async () => {
        const store = await open();
        const entry = { seq: 0, type: 'model', data: {} };
        const badEntries = [
          { ...entry, seq: 1.5 },
          { ...entry, seq: -1 },
          { ...entry, seq: Number.NaN },
          { ...entry, seq: '0' as unknown as number },
          { ...entry, type: '' },
          { ...entry, data: { big: 10n } },
          { ...entry, data: () => 1 },
        ];
        for (const e of badEntries)
          await expectInvalid(store.appendJournal(scope, e), `entry ${String(e.seq)}`);
        const badScopes = [
          { runId: '', stepId: 'a' },
          { runId: 'run_1', stepId: '' },
          { runId: 'run_1', stepId: 'a', item: -2 },
          { runId: 'run_1', stepId: 'a', item: 0.5 },
        ];
        for (const s of badScopes) {
          await expectInvalid(store.appendJournal(s, entry), JSON.stringify(s));
          await expectInvalid(store.readJournal(s), JSON.stringify(s));
        }
        expect(await store.readJournal(scope)).toEqual([]);
        expect(await store.readJournal({ runId: 'run_1', stepId: 'a' })).toEqual([]);
      });
    });

    describe('run memory', () => {
      test('writes several keys at once; undefined deletes a key', async () => {
        const store = await open();
        expect(await store.readRunMemory('run_1')).toEqual({});
        await store.writeRunMemory('run_1', { plan: ['a', 'b'], count: 1, note: 'ça va ✓', nothing: null });
        expect(await store.readRunMemory('run_1')).toEqual({
          plan: ['a', 'b'],
          count: 1,
          note: 'ça va ✓',
          nothing: null,
        });
        await store.writeRunMemory('run_1', { count: 2, note: undefined, deep: { a: { b: [1] } } });
        expect(await store.readRunMemory('run_1')).toEqual({
          plan: ['a', 'b'],
          count: 2,
          nothing: null,
          deep: { a: { b: [1] } },
        });
        await store.writeRunMemory('run_1', { missing: undefined });
        await store.writeRunMemory('run_1', {});
        expect(Object.keys(await store.readRunMemory('run_1')).sort()).toEqual([
          'count',
          'deep',
          'nothing',
          'plan',
        ]);
      });

      test('runs are isolated', async () => {
        const store = await open();
        await store.writeRunMemory('run_1', { k: 'one' });
        await store.writeRunMemory('run_2', { k: 'two' });
        await store.writeRunMemory('run_2', { k: undefined, other: 2 });
        expect(await store.readRunMemory('run_1')).toEqual({ k: 'one' });
        expect(await store.readRunMemory('run_2')).toEqual({ other: 2 });
      });

      test('a write with one value that is not JSON writes none of its keys', async () => {
        const store = await open();
        await store.writeRunMemory('run_1', { kept: 1 });
        await expectInvalid(store.writeRunMemory('run_1', { kept: 2, bad: 1n }), 'bigint value');
        await expectInvalid(store.writeRunMemory('', { k: 1 }), 'empty run id');
        await expectInvalid(store.readRunMemory(''), 'empty run id');
        await expectInvalid(
          store.writeRunMemory('run_1', null as unknown as Record<string, unknown>),
          'null',
        );
        expect(await store.readRunMemory('run_1')).toEqual({ kept: 1 });
      });
    });

    memoryCases(harness);
    auditCases(harness);
    pruneCases(harness);

    describe('lifecycle', () => {
      test('what one store wrote, the next one opened on the same storage reads', async () => {
        const first = await open();
        await first.appendJournal(scope, { seq: 0, type: 'model', data: 'x' });
        await first.writeRunMemory('run_1', { k: 1 });
        const memory = await first.remember({
          tenant: 'acme',
          agent: 'bot',
          text: 'fact',
          embedding: [1, 0],
        });
        await first.close();
        const second = await open(true);
        expect(await second.readJournal(scope)).toEqual([{ seq: 0, type: 'model', data: 'x', at: T0 }]);
        expect(await second.readRunMemory('run_1')).toEqual({ k: 1 });
        expect(await second.listMemories({ tenant: 'acme' })).toEqual([memory]);
        // Opening again does not migrate twice nor lose anything.
        const third = await open(true);
        expect((await third.recall({ tenant: 'acme', agent: 'bot', embedding: [1, 0] }))[0]?.memory).toEqual(
          memory,
        );
        expect(await third.listAudit()).toHaveLength(1);
      });

      test('a closed store refuses work with STORE_UNAVAILABLE; closing twice is fine', async () => {
        const store = await open();
        await store.close();
        await store.close();
        const calls: [string, () => Promise<unknown>][] = [
          ['readJournal', () => store.readJournal(scope)],
          ['appendJournal', () => store.appendJournal(scope, { seq: 0, type: 'model', data: 1 })],
          ['readRunMemory', () => store.readRunMemory('run_1')],
          ['writeRunMemory', () => store.writeRunMemory('run_1', { k: 1 })],
          ['remember', () => store.remember({ tenant: 't', agent: 'a', text: 'x', embedding: [1] })],
          ['recall', () => store.recall({ tenant: 't', agent: 'a', embedding: [1] })],
          ['listMemories', () => store.listMemories({ tenant: 't' })],
          ['forget', () => store.forget('t', 'mem_x')],
          ['appendAudit', () => store.appendAudit([])],
          ['listAudit', () => store.listAudit()],
          ['pruneRuns', () => store.pruneRuns(['run_1'])],
        ];
        for (const [what, call] of calls) {
          await expect(call(), what).rejects.toMatchObject({ name: 'BatonError', code: 'STORE_UNAVAILABLE' });
        }
      });
    });
  });
}
