/**
 * The Gemini provider against the fake Gemini upstream over real HTTP: answers, streams, tool
 * calls, embeddings, and what reaches the wire. Chat failures are in failures.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  assembleToolCalls,
  collect,
  imageDataUrl,
  weatherTool,
} from '../../../../test/gateway/chunk-helpers.js';
import { type FakeGemini, startFakeGemini } from '../../../../test/gateway/fakes/index.js';
import { embedText } from '../../../../test/gateway/fakes/script.js';
import { ProviderError } from '../../errors.js';
import type { ChatRequest, EmbeddingRequest } from '../../types.js';
import type { Provider, ProviderCall } from '../provider.js';
import { createGeminiProvider } from './gemini.js';

// biome-ignore lint/suspicious/noExplicitAny: recorded wire bodies are read loosely; their shape is what is asserted.
type Json = Record<string, any>;

const MODEL = 'gemini-2.5-flash';
const NOW = 1_700_000_000_000;
const DIMENSIONS = 64;
let fake: FakeGemini;
let provider: Provider;

beforeAll(async () => {
  fake = await startFakeGemini({ apiKeys: ['gemini-key'], embeddingDimensions: DIMENSIONS });
  provider = createGeminiProvider({
    name: 'gemini',
    baseUrl: `${fake.url}/v1beta`,
    apiKey: 'gemini-key',
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
  return { model: MODEL, signal, target: `gemini/${MODEL}` };
}

const ask = (content: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'smart',
  messages: [{ role: 'user', content }],
  ...extra,
});

const lastRequest = () => fake.requests.at(-1);
const lastBody = (): Json => lastRequest()?.body as Json;

describe('gemini provider', () => {
  it('answers with text and usage: cached in prompt_tokens, thoughts as reasoning in completion_tokens', async () => {
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
        completion_tokens_details: { reasoning_tokens: 3 },
      },
    });
    expect(lastRequest()).toMatchObject({
      path: `/v1beta/models/${MODEL}:generateContent`,
      headers: { 'x-goog-api-key': 'gemini-key' },
    });
    expect(lastBody().contents).toEqual([{ role: 'user', parts: [{ text: 'Capital of France?' }] }]);
    // No output limit is invented for Gemini.
    expect(lastBody().generationConfig?.maxOutputTokens).toBeUndefined();
  });

  it('sends system prompts as systemInstruction and sampling settings in generationConfig', async () => {
    const request: ChatRequest = {
      model: 'smart',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'developer', content: 'Answer in French.' },
      ],
      max_tokens: 20,
      temperature: 0.2,
      top_p: 0.9,
      seed: 42,
      stop: ['END', 'STOP'],
    };
    await provider.chat(request, call());
    expect(lastBody().systemInstruction).toEqual({
      parts: [{ text: 'Be brief.' }, { text: 'Answer in French.' }],
    });
    expect(lastBody().generationConfig).toMatchObject({
      maxOutputTokens: 20,
      temperature: 0.2,
      topP: 0.9,
      seed: 42,
      stopSequences: ['END', 'STOP'],
    });
  });

  it('streams over SSE: content deltas concatenate to the text, then finish_reason, then usage', async () => {
    fake.setScript({
      text: 'one two three four',
      usage: { inputTokens: 8, cachedInputTokens: 2, outputTokens: 4, reasoningTokens: 1 },
    });
    const chunks = await collect(provider.chatStream(ask('Count'), call()));
    expect(lastRequest()).toMatchObject({
      path: `/v1beta/models/${MODEL}:streamGenerateContent`,
      query: { alt: 'sse' },
    });
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' });
    const deltas = chunks.map((c) => c.choices[0]?.delta.content ?? '').filter((text) => text !== '');
    expect(deltas).toEqual(['one ', 'two ', 'three ', 'four']);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: {
        prompt_tokens: 10,
        completion_tokens: 5,
        prompt_tokens_details: { cached_tokens: 2 },
        completion_tokens_details: { reasoning_tokens: 1 },
      },
    });
  });

  it('returns tool calls with JSON-string arguments and sends function declarations', async () => {
    fake.setScript({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } }] });
    const response = await provider.chat(
      ask('Weather in Paris?', {
        tools: [weatherTool],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
      }),
      call(),
    );
    const choice = response.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    expect(choice?.message.tool_calls).toHaveLength(1);
    expect(choice?.message.tool_calls?.[0]).toMatchObject({
      type: 'function',
      function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
    });
    // Gemini sends no call id: the SDK makes one up, and it must be usable in the next request.
    expect(choice?.message.tool_calls?.[0]?.id).toMatch(/\S+/);
    expect(lastBody().tools).toEqual([
      {
        functionDeclarations: [
          {
            name: 'get_weather',
            description: 'Weather for a city',
            parameters: weatherTool.function.parameters,
          },
        ],
      },
    ]);
    expect(lastBody().toolConfig).toEqual({
      functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] },
    });
  });

  it('streams tool calls as indexed deltas whose arguments concatenate to JSON', async () => {
    fake.setScript({
      toolCalls: [
        { name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } },
        { name: 'get_weather', arguments: { city: 'Oslo', unit: 'fahrenheit' } },
      ],
    });
    const chunks = await collect(provider.chatStream(ask('Weather?', { tools: [weatherTool] }), call()));
    const calls = assembleToolCalls(chunks);
    expect(calls.map(({ name, arguments: args }) => ({ name, args }))).toEqual([
      { name: 'get_weather', args: '{"city":"Paris","unit":"celsius"}' },
      { name: 'get_weather', args: '{"city":"Oslo","unit":"fahrenheit"}' },
    ]);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('sends a tool-result round trip as functionCall and named functionResponse parts', async () => {
    const request: ChatRequest = {
      model: 'smart',
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Weather in Paris and Oslo?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_p',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
            {
              id: 'call_o',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_p', content: '21°C' },
        { role: 'tool', tool_call_id: 'call_o', content: '3°C' },
      ],
    };
    fake.setScript({ text: 'Paris 21°C, Oslo 3°C.' });
    const response = await provider.chat(request, call());
    expect(response.choices[0]?.message.content).toBe('Paris 21°C, Oslo 3°C.');
    expect(lastBody().contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather in Paris and Oslo?' }] },
      {
        role: 'model',
        parts: [
          { functionCall: { id: 'call_p', name: 'get_weather', args: { city: 'Paris' } } },
          { functionCall: { id: 'call_o', name: 'get_weather', args: { city: 'Oslo' } } },
        ],
      },
      {
        role: 'user',
        parts: [
          // The name comes from the assistant's tool call: OpenAI's tool message carries only the id.
          {
            functionResponse: {
              id: 'call_p',
              name: 'get_weather',
              response: { name: 'get_weather', content: '21°C' },
            },
          },
          {
            functionResponse: {
              id: 'call_o',
              name: 'get_weather',
              response: { name: 'get_weather', content: '3°C' },
            },
          },
        ],
      },
    ]);
  });

  it('sends images from data URLs as inlineData and http URLs as fileData', async () => {
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
    expect(lastBody().contents[0].parts).toEqual([
      { text: 'Compare these.' },
      { inlineData: { mimeType: 'image/png', data: imageDataUrl.split(',')[1] } },
      { fileData: { mimeType: 'image/png', fileUri: 'https://example.com/cat.png' } },
    ]);
  });

  it('asks for JSON-schema output with responseMimeType and responseSchema, and returns the JSON text', async () => {
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, population: { type: 'integer' } },
      required: ['city', 'population'],
    };
    const response = await provider.chat(
      ask('Largest city?', {
        response_format: { type: 'json_schema', json_schema: { name: 'city', schema } },
      }),
      call(),
    );
    expect(lastBody().generationConfig).toMatchObject({
      responseMimeType: 'application/json',
      responseSchema: { type: 'object', properties: schema.properties, required: schema.required },
    });
    expect(JSON.parse(response.choices[0]?.message.content ?? '')).toEqual({ city: 'text', population: 1 });
  });

  it('asks for any JSON object with json_object', async () => {
    const response = await provider.chat(
      ask('Describe Paris', { response_format: { type: 'json_object' } }),
      call(),
    );
    expect(lastBody().generationConfig.responseMimeType).toBe('application/json');
    expect(JSON.parse(response.choices[0]?.message.content ?? '')).toEqual({ echo: 'Describe Paris' });
  });

  it('reports a truncated answer as finish_reason length', async () => {
    fake.setScript({ text: 'Once upon a', truncated: true });
    expect((await provider.chat(ask('Story'), call())).choices[0]?.finish_reason).toBe('length');
  });
});

describe('gemini embeddings', () => {
  const EMBEDDING_MODEL = 'gemini-embedding-001';
  const embedCall = (): ProviderCall => ({
    model: EMBEDDING_MODEL,
    signal: new AbortController().signal,
    target: `gemini/${EMBEDDING_MODEL}`,
  });
  const embed = async (input: EmbeddingRequest['input'], extra: Partial<EmbeddingRequest> = {}) => {
    if (!provider.embed) throw new Error('the Gemini provider has no embed');
    return provider.embed({ model: 'embed', input, ...extra }, embedCall());
  };

  it('embeds one string with embedContent, in the OpenAI shape', async () => {
    const response = await embed('hello');
    expect(lastRequest()).toMatchObject({
      path: `/v1beta/models/${EMBEDDING_MODEL}:embedContent`,
      headers: { 'x-goog-api-key': 'gemini-key' },
    });
    expect(lastBody()).toEqual({
      model: `models/${EMBEDDING_MODEL}`,
      content: { parts: [{ text: 'hello' }] },
    });
    expect(response).toEqual({
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: embedText('hello', DIMENSIONS) }],
      model: EMBEDDING_MODEL,
      // Gemini reports no token count for embeddings.
      usage: { prompt_tokens: 0, total_tokens: 0 },
    });
  });

  it('embeds several strings with one batchEmbedContents call, in order', async () => {
    const response = await embed(['a', 'b', 'c']);
    expect(lastRequest()?.path).toBe(`/v1beta/models/${EMBEDDING_MODEL}:batchEmbedContents`);
    expect(lastBody().requests).toEqual(
      ['a', 'b', 'c'].map((text) => ({
        model: `models/${EMBEDDING_MODEL}`,
        content: { role: 'user', parts: [{ text }] },
      })),
    );
    expect(response.data.map((d) => [d.index, d.embedding])).toEqual(
      ['a', 'b', 'c'].map((text, i) => [i, embedText(text, DIMENSIONS)]),
    );
  });

  it('splits more than 100 inputs, the per-call limit, over several calls', async () => {
    const before = fake.requests.length;
    const texts = Array.from({ length: 101 }, (_, i) => `text ${i}`);
    const response = await embed(texts);
    const calls = fake.requests.slice(before).map((r) => (r.body as Json).requests?.length ?? 1);
    expect(calls).toEqual([100, 1]);
    expect(response.data).toHaveLength(101);
    expect(response.data[100]).toEqual({
      object: 'embedding',
      index: 100,
      embedding: embedText('text 100', DIMENSIONS),
    });
  });

  it('sends dimensions as outputDimensionality', async () => {
    const response = await embed(['a', 'b'], { dimensions: 8 });
    expect(lastBody().requests.map((r: Json) => r.outputDimensionality)).toEqual([8, 8]);
    expect(response.data[0]?.embedding).toHaveLength(8);
    await embed('a', { dimensions: 8 });
    expect(lastBody().outputDimensionality).toBe(8);
  });

  it('answers base64 as little-endian float32s, like OpenAI', async () => {
    const response = await embed('hello', { encoding_format: 'base64' });
    const encoded = response.data[0]?.embedding;
    expect(typeof encoded).toBe('string');
    const bytes = Buffer.from(encoded as string, 'base64');
    const decoded = Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
    expect(decoded).toHaveLength(DIMENSIONS);
    for (const [i, value] of embedText('hello', DIMENSIONS).entries())
      expect(decoded[i]).toBeCloseTo(value, 6);
  });

  it('types a 429 with Retry-After as PROVIDER_RATE_LIMITED with retryAfterMs', async () => {
    fake.fault({ status: 429, retryAfter: '4' });
    const error = await embed(['a', 'b']).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({
      code: 'PROVIDER_RATE_LIMITED',
      status: 429,
      retryAfterMs: 4000,
      target: `gemini/${EMBEDDING_MODEL}`,
    });
  });

  it.each([
    ['number[]', [1, 2, 3]],
    ['number[][]', [[1, 2], [3]]],
  ])('rejects token ids (%s) before calling Gemini', async (_, input) => {
    const before = fake.requests.length;
    const error = await embed(input).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: 'PROVIDER_REJECTED', hint: expect.stringMatching(/string/) });
    expect(fake.requests.length).toBe(before);
  });
});
