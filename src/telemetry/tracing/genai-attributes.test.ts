import { expect, it } from 'vitest';
import { errorType, metaAttributes, requestAttributes, responseAttributes } from './genai-attributes.js';

it('reads request parameters and the prompt name and version from metadata', () => {
  expect(
    requestAttributes('chat', {
      model: 'fast',
      max_tokens: 200,
      temperature: 0.2,
      metadata: { 'baton.prompt': 'support@triage@3', 'baton.agent': 'support' },
    }),
  ).toEqual({
    'gen_ai.operation.name': 'chat',
    'gen_ai.request.model': 'fast',
    'gen_ai.request.max_tokens': 200,
    'gen_ai.request.temperature': 0.2,
    'baton.prompt.name': 'support@triage',
    'baton.prompt.version': '3',
    'gen_ai.agent.name': 'support',
  });
  expect(requestAttributes('embeddings', null)).toEqual({
    'gen_ai.operation.name': 'embeddings',
    'gen_ai.request.model': 'unknown',
  });
});

it('reads the provider from the target, usage, cost, and why the answer ended', () => {
  const attributes = metaAttributes({
    id: 'req_1',
    model: 'fast',
    route: 'fast',
    target: 'anthropic/claude-x',
    usage: { inputTokens: 10, cachedInputTokens: 2, outputTokens: 5, reasoningTokens: 1 },
    costUsd: 0.01,
    priced: true,
    cacheHit: false,
    retries: 1,
    fallbacks: 0,
    offline: false,
    latencyMs: 120,
    ttftMs: 40,
  });
  expect(attributes).toMatchObject({
    'gen_ai.provider.name': 'anthropic',
    'gen_ai.usage.input_tokens': 10,
    'gen_ai.usage.cache_read.input_tokens': 2,
    'gen_ai.usage.output_tokens': 5,
    'gen_ai.usage.reasoning.output_tokens': 1,
    'gen_ai.usage.cost': 0.01,
    'baton.cost_usd': 0.01,
    'gen_ai.response.time_to_first_chunk': 0.04,
  });
  expect(responseAttributes({ model: 'claude-x', choices: [{ finish_reason: 'length' }] })).toEqual({
    'gen_ai.response.model': 'claude-x',
    'gen_ai.response.finish_reasons': ['length'],
  });
  expect(errorType({ code: 'PROVIDER_TIMEOUT' })).toBe('PROVIDER_TIMEOUT');
  expect(errorType(new TypeError('x'))).toBe('TypeError');
});
