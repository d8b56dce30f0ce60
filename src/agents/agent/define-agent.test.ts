import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AgentRegistry, agentContextBound, defineAgent } from './define-agent.js';

const base = { name: 'support', description: 'Answers questions', model: 'fast' };

describe('defineAgent', () => {
  it('fills in default limits and converts the output schema once', () => {
    const agent = defineAgent({ ...base, tools: ['a', 'a'], output: z.object({ x: z.string() }) });
    expect(agent.limits).toMatchObject({
      maxIterations: 10,
      maxToolCallsPerIteration: 8,
      maxOutputTokens: 1024,
    });
    expect(agent.tools).toEqual(['a']);
    expect(agent.outputSchema).toMatchObject({ type: 'object', required: ['x'] });
  });

  it.each([
    [{ ...base, name: 'Bad Name' }, /name is malformed/],
    [{ ...base, description: ' ' }, /no description/],
    [{ name: 'x', description: 'd' }, /names no model/],
    [{ ...base, limits: { maxIterations: 0 } }, /maxIterations/],
    [{ ...base, memory: { longTerm: true } }, /embeddings model/],
    [{ ...base, delegates: ['support'] }, /delegates to itself/],
  ])('refuses a malformed agent with INVALID_ARGUMENT (%#)', (agent, message) => {
    expect(() => defineAgent(agent)).toThrow(message);
    expect(() => defineAgent(agent)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('names the registered agents when one is missing', () => {
    const agents = new AgentRegistry().register(base);
    expect(() => agents.get('other')).toThrow(expect.objectContaining({ code: 'AGENT_NOT_FOUND' }));
    expect(() => agents.get('other')).toThrow(/support/);
  });

  it('computes the worst-case context from the limits', () => {
    const agent = defineAgent({
      ...base,
      limits: { maxIterations: 3, maxToolCallsPerIteration: 2, maxOutputTokens: 100 },
    });
    // (3 - 1) · 2 · 1000 bytes of results + 500 bytes of prompt + 3 · 100 output tokens
    expect(agentContextBound(agent, { promptBytes: 500, maxResultBytes: 1000 }).tokens).toBe(
      4000 + 500 + 300,
    );
  });
});
