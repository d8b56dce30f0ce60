import { describe, expect, it } from 'vitest';
import { nameStartTools, splitStartArguments } from './start-tools.js';

const tool = (workflow: string) => ({
  workflow,
  versionId: `${workflow}@1`,
  summary: null,
  description: '',
  inputSchema: {},
  shape: 'flat' as const,
});

describe('start tool names', () => {
  it('keeps valid names and repairs others without depending on the order', () => {
    const names = (list: string[]) =>
      Object.fromEntries(nameStartTools(list.map(tool), new Set()).map((t) => [t.workflow, t.name]));
    const forward = names(['a_b', 'a b', 'order.v2', 'x'.repeat(200)]);
    expect(forward.a_b).toBe('start_a_b');
    expect(forward['a b']).toMatch(/^start_a_b_[0-9a-f]{8}$/);
    expect(forward['order.v2']).toBe('start_order.v2');
    expect(forward['x'.repeat(200)]).toHaveLength(128);
    expect(names(['a b', 'a_b'])).toEqual({ 'a b': forward['a b'], a_b: 'start_a_b' });
  });

  it('splits the idempotency key from the input', () => {
    expect(splitStartArguments({ name: 't', shape: 'flat' }, { a: 1, idempotency_key: 'k' })).toEqual({
      input: { a: 1 },
      idempotencyKey: 'k',
    });
    expect(splitStartArguments({ name: 't', shape: 'wrapped' }, { input: 'text' })).toEqual({
      input: 'text',
    });
    expect(() => splitStartArguments({ name: 't', shape: 'flat' }, { idempotency_key: '' })).toThrow(
      /idempotency_key/,
    );
  });
});
