/**
 * The Anthropic provider against the fake Anthropic upstream over real HTTP: answers, streams, tool
 * calls, and what reaches the wire. Failures are in failures.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  assembleToolCalls,
  collect,
  imageDataUrl,
  weatherTool,
} from '../../../../test/gateway/chunk-helpers.js';
import { type FakeAnthropic, startFakeAnthropic } from '../../../../test/gateway/fakes/index.js';
import type { ChatRequest } from '../../types.js';
import type { Provider, ProviderCall } from '../provider.js';
import { ANTHROPIC_DEFAULT_MAX_TOKENS, createAnthropicProvider } from './anthropic.js';

// biome-ignore lint/suspicious/noExplicitAny: recorded wire bodies are read loosely; their shape is what is asserted.
type Json = Record<string, any>;

const MODEL = 'claude-sonnet-4-5';
const NOW = 1_700_000_000_000;
let fake: FakeAnthropic;
let provider: Provider;

beforeAll(async () => {
  fake = await startFakeAnthropic({ apiKeys: ['sk-ant-test'] });
  provider = createAnthropicProvider({
    name: 'anthropic',
    baseUrl: fake.url,
    apiKey: 'sk-ant-test',
    now: () => NOW,
  });
});
afterEach(() => {
  fake.setScript(undefined);
  fake.clearFaults();
});
afterAll(async () => {
  await fake.close();
});

function call(signal: AbortSignal = new AbortController().signal): ProviderCall {
  return { model: MODEL, signal, target: `anthropic/${MODEL}` };
}

const ask = (content: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'smart',
  messages: [{ role: 'user', content }],
  ...extra,
});

const lastBody = (): Json => fake.requests.at(-1)?.body as Json;

describe('anthropic provider', () => {
  it('answers with text and usage: cache reads in prompt_tokens, reasoning in completion_tokens', async () => {
    fake.setScript({
      text: 'Paris is the capital.',
      usage: {
        inputTokens: 10,
        cachedInputTokens: 100,
        cacheWriteTokens: 5,
        outputTokens: 7,
        reasoningTokens: 3,
      },
    });
    const response = await provider.chat(ask('Capital of France?'), call());
    expect(response).toMatchObject({
      object: 'chat.completion',
      created: NOW / 1000,
      model: MODEL,
      choices: [
        { index: 0, message: { role: 'assistant', content: 'Paris is the capital.' }, finish_reason: 'stop' },
      ],
      usage: {
        prompt_tokens: 115,
        completion_tokens: 10,
        total_tokens: 125,
        prompt_tokens_details: { cached_tokens: 100 },
        // Anthropic counts thinking inside output_tokens without a breakdown.
        completion_tokens_details: { reasoning_tokens: 0 },
      },
    });
    expect(response.id).toMatch(/^msg_fake/);
    const body = lastBody();
    expect(body.model).toBe(MODEL);
    expect(body.max_tokens).toBe(ANTHROPIC_DEFAULT_MAX_TOKENS);
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Capital of France?' }] },
    ]);
    expect(fake.requests.at(-1)?.headers['x-api-key']).toBe('sk-ant-test');
  });

  it('sends system prompts, sampling settings and the max_completion_tokens limit', async () => {
    const request: ChatRequest = {
      model: 'smart',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'developer', content: 'Answer in French.' },
      ],
      max_tokens: 50,
      max_completion_tokens: 20,
      temperature: 0.2,
      stop: 'END',
    };
    await provider.chat(request, call());
    expect(lastBody()).toMatchObject({
      system: [
        { type: 'text', text: 'Be brief.' },
        { type: 'text', text: 'Answer in French.' },
      ],
      max_tokens: 20,
      temperature: 0.2,
      stop_sequences: ['END'],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
    });
  });

  it('streams content deltas that concatenate to the text, then finish_reason, then usage', async () => {
    fake.setScript({
      text: 'one two three four',
      usage: { inputTokens: 8, cachedInputTokens: 2, outputTokens: 4 },
    });
    const chunks = await collect(provider.chatStream(ask('Count'), call()));
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' });
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('one two three four');
    expect(chunks.filter((c) => (c.choices[0]?.delta.content ?? '') !== '').length).toBeGreaterThan(1);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 10, completion_tokens: 4, prompt_tokens_details: { cached_tokens: 2 } },
    });
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(lastBody().stream).toBe(true);
  });

  it('returns tool calls with JSON-string arguments and the tools on the wire', async () => {
    fake.setScript({
      toolCalls: [{ id: 'toolu_1', name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } }],
    });
    const response = await provider.chat(
      ask('Weather in Paris?', {
        tools: [weatherTool],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
      }),
      call(),
    );
    expect(response.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: {
        content: null,
        tool_calls: [
          {
            id: 'toolu_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
          },
        ],
      },
    });
    expect(lastBody().tools).toEqual([
      {
        name: 'get_weather',
        description: 'Weather for a city',
        input_schema: weatherTool.function.parameters,
      },
    ]);
    expect(lastBody().tool_choice).toEqual({ type: 'tool', name: 'get_weather' });
  });

  it('streams tool calls as indexed deltas whose arguments concatenate to JSON', async () => {
    fake.setScript({
      toolCalls: [
        { id: 'toolu_a', name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } },
        { id: 'toolu_b', name: 'get_weather', arguments: { city: 'Oslo', unit: 'fahrenheit' } },
      ],
    });
    const chunks = await collect(provider.chatStream(ask('Weather?', { tools: [weatherTool] }), call()));
    const calls = assembleToolCalls(chunks);
    expect(calls).toEqual([
      { id: 'toolu_a', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
      { id: 'toolu_b', name: 'get_weather', arguments: '{"city":"Oslo","unit":"fahrenheit"}' },
    ]);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('sends a tool-result round trip as tool_use and tool_result blocks', async () => {
    const request: ChatRequest = {
      model: 'smart',
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Weather in Paris and Oslo?' },
        {
          role: 'assistant',
          content: 'Let me check.',
          tool_calls: [
            {
              id: 'toolu_p',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
            {
              id: 'toolu_o',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_p', content: '21°C' },
        { role: 'tool', tool_call_id: 'toolu_o', content: [{ type: 'text', text: '3°C' }] },
      ],
    };
    fake.setScript({ text: 'Paris 21°C, Oslo 3°C.' });
    const response = await provider.chat(request, call());
    expect(response.choices[0]?.message.content).toBe('Paris 21°C, Oslo 3°C.');
    expect(lastBody().messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Oslo?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', id: 'toolu_p', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'toolu_o', name: 'get_weather', input: { city: 'Oslo' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_p', content: '21°C' },
          { type: 'tool_result', tool_use_id: 'toolu_o', content: '3°C' },
        ],
      },
    ]);
  });

  it('sends images from data URLs as base64 image blocks and http URLs as url sources', async () => {
    const request: ChatRequest = {
      model: 'smart',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare these.' },
            { type: 'image_url', image_url: { url: imageDataUrl } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
          ],
        },
      ],
    };
    await provider.chat(request, call());
    expect(lastBody().messages[0].content).toEqual([
      { type: 'text', text: 'Compare these.' },
      {
        type: 'image',
        source: { type: 'base64', media_type: 'image/png', data: imageDataUrl.split(',')[1] },
      },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
    ]);
  });

  it('reports a truncated answer as finish_reason length', async () => {
    fake.setScript({ text: 'Once upon a', truncated: true });
    expect((await provider.chat(ask('Story'), call())).choices[0]?.finish_reason).toBe('length');
  });

  it('asks for JSON-schema output with output_config.format and returns the JSON text', async () => {
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, population: { type: 'integer' } },
      required: ['city', 'population'],
      additionalProperties: false,
    };
    const response = await provider.chat(
      ask('Largest city?', {
        response_format: { type: 'json_schema', json_schema: { name: 'city', schema } },
      }),
      call(),
    );
    expect(lastBody().output_config).toEqual({ format: { type: 'json_schema', schema } });
    expect(JSON.parse(response.choices[0]?.message.content ?? '')).toEqual({ city: 'text', population: 1 });
  });
});
