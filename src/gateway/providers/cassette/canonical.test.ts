import { describe, expect, it } from 'vitest';
import { canonicalRequest, cassetteKey, stableStringify } from './canonical.js';

describe('canonical requests', () => {
  it('stringifies with sorted keys at every level, dropping undefined', () => {
    expect(stableStringify({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[{"y":2,"z":1}]},"b":1}',
    );
  });

  it('gives the same key whatever the key order, and another key when anything differs', () => {
    const a = canonicalRequest('chat', 'openai', 'gpt', {
      model: 'x',
      temperature: 0,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const b = canonicalRequest('chat', 'openai', 'gpt', {
      messages: [{ content: 'hi', role: 'user' }],
      temperature: 0,
      model: 'y',
    });
    expect(cassetteKey(a)).toBe(cassetteKey(b));
    expect(cassetteKey(a)).toMatch(/^[0-9a-f]{64}$/);
    const others = [
      canonicalRequest('stream', 'openai', 'gpt', {
        model: 'x',
        temperature: 0,
        messages: [{ role: 'user', content: 'hi' }],
      }),
      canonicalRequest('chat', 'anthropic', 'gpt', {
        model: 'x',
        temperature: 0,
        messages: [{ role: 'user', content: 'hi' }],
      }),
      canonicalRequest('chat', 'openai', 'gpt-2', {
        model: 'x',
        temperature: 0,
        messages: [{ role: 'user', content: 'hi' }],
      }),
      canonicalRequest('chat', 'openai', 'gpt', {
        model: 'x',
        temperature: 1,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    ];
    expect(new Set(others.map(cassetteKey)).size).toBe(4);
    expect(others.map(cassetteKey)).not.toContain(cassetteKey(a));
  });

  it('sets model to the provider model and stream by kind', () => {
    expect(
      canonicalRequest('chat', 'p', 'm', { model: 'alias', messages: [], stream: false }).request,
    ).toEqual({ model: 'm', messages: [] });
    expect(canonicalRequest('stream', 'p', 'm', { model: 'alias', messages: [] }).request).toEqual({
      model: 'm',
      messages: [],
      stream: true,
    });
  });
});
