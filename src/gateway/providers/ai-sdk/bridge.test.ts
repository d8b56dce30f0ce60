/**
 * The request and response translation on its own, without HTTP: the cases the fake-upstream tests
 * do not reach (ordering, rejected requests, mapping tables).
 */
import type { LanguageModelV3GenerateResult, LanguageModelV3Usage } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../errors.js';
import type { ChatRequest } from '../../types.js';
import { withVersionPath } from './base-url.js';
import { imagePart, toCallOptions, toChatResponse, toFinishReason, toUsage } from './bridge.js';

const context = { target: 'vendor/model', signal: new AbortController().signal };
const request = (extra: Partial<ChatRequest>): ChatRequest => ({ model: 'smart', messages: [], ...extra });

describe('toCallOptions', () => {
  it('hoists system and developer messages before the conversation, in order', () => {
    const options = toCallOptions(
      request({
        messages: [
          { role: 'system', content: 'A' },
          { role: 'user', content: 'Hi' },
          { role: 'developer', content: [{ type: 'text', text: 'B' }] },
          { role: 'assistant', content: 'Hello' },
        ],
      }),
      context,
    );
    expect(options.prompt).toEqual([
      { role: 'system', content: 'A' },
      { role: 'system', content: 'B' },
      { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Hello' }] },
    ]);
    expect(options.abortSignal).toBe(context.signal);
  });

  it('names tool results after the assistant call they answer, and parses call arguments', () => {
    const options = toCallOptions(
      request({
        messages: [
          { role: 'user', content: 'Weather?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
        ],
      }),
      context,
    );
    expect(options.prompt.slice(1)).toEqual([
      {
        role: 'assistant',
        content: [{ type: 'tool-call', toolCallId: 'c1', toolName: 'get_weather', input: { city: 'Rome' } }],
      },
      {
        role: 'tool',
        content: [
          {
            type: 'tool-result',
            toolCallId: 'c1',
            toolName: 'get_weather',
            output: { type: 'text', value: 'sunny' },
          },
        ],
      },
    ]);
  });

  it('rejects a tool message that answers no earlier tool call', () => {
    const build = () =>
      toCallOptions(request({ messages: [{ role: 'tool', tool_call_id: 'nope', content: 'x' }] }), context);
    expect(build).toThrow(ProviderError);
    expect(build).toThrow(/tool_call_id 'nope'/);
  });

  it('rejects content parts other than text and image_url', () => {
    const build = () =>
      toCallOptions(
        request({
          messages: [
            { role: 'user', content: [{ type: 'input_audio', input_audio: { data: '', format: 'wav' } }] },
          ],
        }),
        context,
      );
    expect(build).toThrow(expect.objectContaining({ code: 'PROVIDER_REJECTED' }));
  });

  it('maps tools, tool_choice, response formats and sampling settings', () => {
    const options = toCallOptions(
      request({
        tools: [{ type: 'function', function: { name: 'noop' } }],
        tool_choice: 'required',
        response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' } } },
        max_tokens: 100,
        temperature: 0,
        top_p: 0.5,
        seed: 7,
        stop: 'END',
        frequency_penalty: 0.1,
      }),
      context,
    );
    expect(options).toMatchObject({
      tools: [{ type: 'function', name: 'noop', inputSchema: { type: 'object', properties: {} } }],
      toolChoice: { type: 'required' },
      responseFormat: { type: 'json', name: 'out', schema: { type: 'object' } },
      maxOutputTokens: 100,
      temperature: 0,
      topP: 0.5,
      seed: 7,
      stopSequences: ['END'],
      frequencyPenalty: 0.1,
    });
    expect(toCallOptions(request({ tool_choice: 'none' }), context).toolChoice).toEqual({ type: 'none' });
    expect(
      toCallOptions(request({ response_format: { type: 'json_object' } }), context).responseFormat,
    ).toEqual({
      type: 'json',
    });
  });

  it('prefers max_completion_tokens, then max_tokens, then the provider default', () => {
    const withDefault = { ...context, defaultMaxOutputTokens: 4096 };
    expect(
      toCallOptions(request({ max_tokens: 10, max_completion_tokens: 5 }), withDefault).maxOutputTokens,
    ).toBe(5);
    expect(toCallOptions(request({ max_tokens: 10 }), withDefault).maxOutputTokens).toBe(10);
    expect(toCallOptions(request({}), withDefault).maxOutputTokens).toBe(4096);
    expect(toCallOptions(request({}), context).maxOutputTokens).toBeUndefined();
  });
});

describe('imagePart', () => {
  it('decodes base64 and percent-encoded data URLs, and types http URLs by extension', () => {
    expect(imagePart('data:image/jpeg;base64,/9j/4AAQ', 't')).toEqual({
      type: 'file',
      mediaType: 'image/jpeg',
      data: '/9j/4AAQ',
    });
    expect(imagePart('data:image/svg+xml,%3Csvg%2F%3E', 't')).toEqual({
      type: 'file',
      mediaType: 'image/svg+xml',
      data: Buffer.from('<svg/>').toString('base64'),
    });
    const url = imagePart('https://example.com/a/photo.JPG?size=2', 't');
    expect(url.mediaType).toBe('image/jpeg');
    expect(url.data).toEqual(new URL('https://example.com/a/photo.JPG?size=2'));
    expect(imagePart('https://example.com/image', 't').mediaType).toBe('image/*');
    expect(() => imagePart('not a url', 't')).toThrow(expect.objectContaining({ code: 'PROVIDER_REJECTED' }));
  });
});

const usage = (
  input: Partial<LanguageModelV3Usage['inputTokens']>,
  output: Partial<LanguageModelV3Usage['outputTokens']>,
) =>
  ({
    inputTokens: {
      total: undefined,
      noCache: undefined,
      cacheRead: undefined,
      cacheWrite: undefined,
      ...input,
    },
    outputTokens: { total: undefined, text: undefined, reasoning: undefined, ...output },
  }) satisfies LanguageModelV3Usage;

describe('results', () => {
  it('counts cached input in input and reasoning in output, summing parts when totals are missing', () => {
    expect(
      toUsage(usage({ total: 120, noCache: 20, cacheRead: 100 }, { total: 9, text: 6, reasoning: 3 })),
    ).toEqual({
      inputTokens: 120,
      cachedInputTokens: 100,
      outputTokens: 9,
      reasoningTokens: 3,
    });
    expect(toUsage(usage({ noCache: 20, cacheRead: 100, cacheWrite: 5 }, { text: 6, reasoning: 3 }))).toEqual(
      {
        inputTokens: 125,
        cachedInputTokens: 100,
        outputTokens: 9,
        reasoningTokens: 3,
      },
    );
    expect(toUsage(usage({}, {}))).toEqual({
      inputTokens: 0,
      cachedInputTokens: 0,
      outputTokens: 0,
      reasoningTokens: 0,
    });
  });

  it('maps finish reasons to OpenAI names', () => {
    expect(toFinishReason({ unified: 'length', raw: 'max_tokens' }, false)).toBe('length');
    expect(toFinishReason({ unified: 'content-filter', raw: 'refusal' }, false)).toBe('content_filter');
    expect(toFinishReason({ unified: 'tool-calls', raw: 'tool_use' }, true)).toBe('tool_calls');
    expect(toFinishReason({ unified: 'stop', raw: 'STOP' }, true)).toBe('tool_calls');
    expect(toFinishReason({ unified: 'other', raw: undefined }, false)).toBe('stop');
  });

  it('joins text parts and skips provider-executed tool calls and reasoning', () => {
    const result: LanguageModelV3GenerateResult = {
      content: [
        { type: 'reasoning', text: 'thinking…' },
        { type: 'text', text: 'Hello, ' },
        { type: 'text', text: 'world.' },
        { type: 'tool-call', toolCallId: 's1', toolName: 'web_search', input: '{}', providerExecuted: true },
      ],
      finishReason: { unified: 'stop', raw: 'end_turn' },
      usage: usage({ total: 3 }, { total: 2 }),
      warnings: [],
    };
    const response = toChatResponse(result, { model: 'm', now: 1_000_000, fallbackId: 'chatcmpl-x' });
    expect(response).toMatchObject({
      id: 'chatcmpl-x',
      created: 1000,
      model: 'm',
      choices: [{ message: { role: 'assistant', content: 'Hello, world.' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    });
    expect(response.choices[0]?.message.tool_calls).toBeUndefined();
  });
});

describe('withVersionPath', () => {
  it('appends the version path only to a bare origin', () => {
    expect(withVersionPath('http://127.0.0.1:80/', '/v1')).toBe('http://127.0.0.1:80/v1');
    expect(withVersionPath('https://api.anthropic.com/v1/', '/v1')).toBe('https://api.anthropic.com/v1');
    expect(withVersionPath('https://proxy.example/gemini', '/v1beta')).toBe('https://proxy.example/gemini');
    expect(withVersionPath(undefined, '/v1')).toBeUndefined();
  });
});
