import { describe, expect, it } from 'vitest';
import { BatonError } from '../core/errors.js';
import { worstCaseContext } from './context-bound.js';

describe('worstCaseContext', () => {
  it('adds the prompt, N outputs and the results of N - 1 turns', () => {
    // 10 turns, 2 tool calls each, 8 KiB results with 50 bytes of framing, 20 kB prompt, 1024 tokens out.
    const bound = worstCaseContext({
      maxIterations: 10,
      maxToolCallsPerIteration: 2,
      maxResultBytes: 8_192,
      resultOverheadBytes: 50,
      promptBytes: 20_000,
      maxOutputTokens: 1_024,
    });
    const results = 9 * 2 * (8_192 + 50);
    expect(bound).toEqual({
      toolResultBytes: results,
      tokens: 20_000 + results + 10 * 1_024,
      estimatedTokens: Math.ceil((20_000 + results) / 4) + 10 * 1_024,
      bytes: 20_000 + results + 10 * 1_024 * 4,
    });
  });

  it('has no tool results for a single call, and grows linearly with iterations', () => {
    const limits = {
      maxToolCallsPerIteration: 4,
      maxResultBytes: 1_000,
      promptBytes: 500,
      maxOutputTokens: 100,
    };
    expect(worstCaseContext({ ...limits, maxIterations: 1 })).toMatchObject({
      toolResultBytes: 0,
      tokens: 600,
    });
    const two = worstCaseContext({ ...limits, maxIterations: 2 }).tokens;
    const three = worstCaseContext({ ...limits, maxIterations: 3 }).tokens;
    expect(three - two).toBe(4 * 1_000 + 100);
    expect(worstCaseContext({ ...limits, maxIterations: 2, bytesPerOutputToken: 16 }).bytes).toBe(
      500 + 4_000 + 2 * 100 * 16,
    );
  });

  it('rejects limits that bound nothing', () => {
    const limits = { maxToolCallsPerIteration: 1, maxResultBytes: 1, promptBytes: 1, maxOutputTokens: 1 };
    expect(() => worstCaseContext({ ...limits, maxIterations: 0 })).toThrow(BatonError);
    expect(() => worstCaseContext({ ...limits, maxIterations: Number.POSITIVE_INFINITY })).toThrow(
      /maxIterations/,
    );
    expect(() => worstCaseContext({ ...limits, maxIterations: 2, maxResultBytes: 1.5 })).toThrow(
      /maxResultBytes/,
    );
  });
});
