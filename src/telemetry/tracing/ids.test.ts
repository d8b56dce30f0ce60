import { expect, it } from 'vitest';
import { attemptSpanId, DerivedIds, otelTraceId, runSpanId } from './ids.js';

it('keeps a 32-hex trace id and derives one from anything else, the same each time', () => {
  expect(otelTraceId('0af7651916cd43dd8448eb211c80319c')).toBe('0af7651916cd43dd8448eb211c80319c');
  const derived = otelTraceId('trace-from-elsewhere');
  expect(derived).toMatch(/^[0-9a-f]{32}$/);
  expect(otelTraceId('trace-from-elsewhere')).toBe(derived);
  expect(otelTraceId('0'.repeat(32))).not.toBe('0'.repeat(32));
});

it('derives span ids from the run and the attempt, distinct per attempt', () => {
  expect(runSpanId('run_1')).toMatch(/^[0-9a-f]{16}$/);
  expect(runSpanId('run_1')).toBe(runSpanId('run_1'));
  expect(runSpanId('run_1')).not.toBe(runSpanId('run_2'));
  const key = { runId: 'run_1', kind: 'step', stepId: 'a', item: -1, attempt: 1 };
  expect(attemptSpanId(key)).toBe(attemptSpanId({ ...key }));
  expect(attemptSpanId(key)).not.toBe(attemptSpanId({ ...key, attempt: 2 }));
  expect(attemptSpanId(key)).not.toBe(attemptSpanId({ ...key, item: 0 }));
});

it('hands the next span the ids set for it, then random ones again', () => {
  const ids = new DerivedIds();
  const chosen = ids.next({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) }, () => [
    ids.generateTraceId(),
    ids.generateSpanId(),
  ]);
  expect(chosen).toEqual(['a'.repeat(32), 'b'.repeat(16)]);
  expect(ids.generateSpanId()).not.toBe('b'.repeat(16));
  expect(ids.generateTraceId()).toMatch(/^[0-9a-f]{32}$/);
});
