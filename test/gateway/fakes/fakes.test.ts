/**
 * The fake upstreams over real HTTP with `fetch`: each wire format (JSON, SSE streams, tool-call
 * deltas reassembled as a client would), authentication errors, and every fault on every provider.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../until.js';
import { startFakeAnthropic } from './fake-anthropic.js';
import { startFakeGemini } from './fake-gemini.js';
import { startFakeOpenAI } from './fake-openai.js';
import type { FakeServer, RecordedRequest } from './fake-server.js';
import { parseSse, readBody, readSse } from './sse.js';

// biome-ignore lint/suspicious/noExplicitAny: wire bodies are read loosely in assertions; their shape is what is asserted.
type Json = Record<string, any>;

const started: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.close()));
});

function track<T extends FakeServer>(server: T): T {
  started.push(server);
  return server;
}

const weatherTool = {
  name: 'get_weather',
  description: 'Weather for a city',
  schema: {
    type: 'object',
    properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
    required: ['city', 'unit'],
  },
};

function post(url: string, body: unknown, headers: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('fake OpenAI', () => {
  const auth = { authorization: 'Bearer sk-test' };
  const chatUrl = (server: FakeServer) => `${server.url}/v1/chat/completions`;

  it('answers a chat completion with an echo and full usage, and records the request', async () => {
    const openai = track(await startFakeOpenAI({ now: () => 1_700_000_000_000 }));
    const body = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'What is the capital of France?' }],
    };
    const res = await post(chatUrl(openai), body, auth);
    expect(res.status).toBe(200);
    const json = (await res.json()) as Json;
    expect(json).toMatchObject({
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'gpt-4o-mini',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'echo: What is the capital of France?' },
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
    });
    expect(json.id).toMatch(/^chatcmpl-/);
    expect(json.usage.total_tokens).toBe(json.usage.prompt_tokens + json.usage.completion_tokens);
    expect(openai.requests).toHaveLength(1);
    expect(openai.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      body,
      receivedAt: 1_700_000_000_000,
    });
    expect(openai.requests[0]?.headers.authorization).toBe('Bearer sk-test');
  });

  it('answers 401 in the OpenAI error format without a key or with a wrong one', async () => {
    const openai = track(await startFakeOpenAI({ apiKeys: ['sk-good'] }));
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer sk-bad' }];
    for (const headers of attempts) {
      const res = await post(chatUrl(openai), body, headers);
      expect(res.status).toBe(401);
      const json = (await res.json()) as Json;
      expect(json.error).toMatchObject({ type: 'invalid_request_error', param: null });
      expect(typeof json.error.message).toBe('string');
    }
    expect((await post(chatUrl(openai), body, { authorization: 'Bearer sk-good' })).status).toBe(200);
  });

  it('streams role, content deltas, tool-call deltas, finish_reason, usage and [DONE]', async () => {
    const openai = track(await startFakeOpenAI());
    const args = { city: 'Paris', unit: 'celsius' };
    openai.setScript({
      text: 'Let me check.',
      toolCalls: [
        { name: 'get_weather', arguments: args },
        { id: 'call_b', name: 'get_weather', arguments: { city: 'Lyon', unit: 'celsius' } },
      ],
      usage: { inputTokens: 10, cachedInputTokens: 90, outputTokens: 5, reasoningTokens: 7 },
    });
    const res = await post(
      chatUrl(openai),
      {
        model: 'gpt-4o',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'Weather in Paris and Lyon?' }],
        tools: [{ type: 'function', function: { name: weatherTool.name, parameters: weatherTool.schema } }],
      },
      auth,
    );
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = await readSse(res);
    expect(events.at(-1)?.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data) as Json);
    for (const chunk of chunks) expect(chunk.object).toBe('chat.completion.chunk');
    expect(chunks[0]?.choices[0].delta).toMatchObject({ role: 'assistant', content: '' });

    // Reassemble as a client does: content by concatenation, tool calls by index.
    let content = '';
    const calls: { id?: string; name?: string; arguments: string }[] = [];
    let finish: string | null = null;
    for (const chunk of chunks.slice(0, -1)) {
      const choice = chunk.choices[0];
      content += choice.delta.content ?? '';
      for (const delta of choice.delta.tool_calls ?? []) {
        const call = calls[delta.index] ?? { arguments: '' };
        calls[delta.index] = call;
        if (delta.id) call.id = delta.id;
        if (delta.function?.name) call.name = delta.function.name;
        call.arguments += delta.function?.arguments ?? '';
      }
      finish = choice.finish_reason ?? finish;
    }
    expect(content).toBe('Let me check.');
    expect(finish).toBe('tool_calls');
    expect(calls).toHaveLength(2);
    expect(calls[0]?.name).toBe('get_weather');
    expect(calls[0]?.id).toMatch(/^call_/);
    expect(JSON.parse(calls[0]?.arguments ?? '')).toEqual(args);
    expect(calls[1]?.id).toBe('call_b');
    const argumentDeltas = chunks.filter((c) => c.choices[0]?.delta.tool_calls?.[0]?.index === 0).length;
    expect(argumentDeltas).toBeGreaterThan(2);

    const usageChunk = chunks.at(-1);
    expect(usageChunk?.choices).toEqual([]);
    expect(usageChunk?.usage).toMatchObject({
      prompt_tokens: 100,
      completion_tokens: 12,
      total_tokens: 112,
      prompt_tokens_details: { cached_tokens: 90 },
      completion_tokens_details: { reasoning_tokens: 7 },
    });
  });

  it('calls the first tool with schema-valid arguments, and answers JSON for a json_schema format', async () => {
    const openai = track(await startFakeOpenAI());
    openai.setScript([{ toolCalls: 'first-tool' }, {}]);
    const tools = [
      { type: 'function', function: { name: weatherTool.name, parameters: weatherTool.schema } },
    ];
    const first = (await (
      await post(chatUrl(openai), { model: 'm', messages: [{ role: 'user', content: 'x' }], tools }, auth)
    ).json()) as Json;
    expect(first.choices[0].finish_reason).toBe('tool_calls');
    expect(first.choices[0].message.content).toBeNull();
    const call = first.choices[0].message.tool_calls[0];
    expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'text', unit: 'celsius' });

    const schema = {
      type: 'object',
      properties: {
        answer: { type: 'string' },
        score: { type: 'number' },
        tags: { type: 'array', items: { type: 'string' } },
      },
      required: ['answer', 'score', 'tags'],
    };
    const second = (await (
      await post(
        chatUrl(openai),
        {
          model: 'm',
          messages: [{ role: 'user', content: 'rate it' }],
          response_format: { type: 'json_schema', json_schema: { name: 'rating', schema, strict: true } },
        },
        auth,
      )
    ).json()) as Json;
    const parsed = JSON.parse(second.choices[0].message.content) as Json;
    expect(Object.keys(parsed).sort()).toEqual(['answer', 'score', 'tags']);
  });

  it('answers deterministic embeddings (floats and base64) and lists models', async () => {
    const openai = track(await startFakeOpenAI());
    const embed = async (body: Json) =>
      (await (
        await post(`${openai.url}/v1/embeddings`, { model: 'text-embedding-3-small', ...body }, auth)
      ).json()) as Json;
    const a = await embed({ input: ['hello', 'world'], dimensions: 8 });
    const b = await embed({ input: 'hello', dimensions: 8 });
    expect(a.object).toBe('list');
    expect(a.data).toHaveLength(2);
    expect(a.data[0].embedding).toHaveLength(8);
    expect(a.data[0].embedding).toEqual(b.data[0].embedding);
    expect(a.data[1].embedding).not.toEqual(a.data[0].embedding);
    expect(a.usage.total_tokens).toBeGreaterThan(0);
    const base64 = await embed({ input: 'hello', dimensions: 8, encoding_format: 'base64' });
    const bytes = Uint8Array.from(Buffer.from(base64.data[0].embedding, 'base64'));
    const decoded = Array.from(new Float32Array(bytes.buffer));
    expect(decoded).toHaveLength(8);
    for (const [i, value] of decoded.entries()) expect(value).toBeCloseTo(b.data[0].embedding[i], 5);
    expect((await embed({ input: 'x' })).data[0].embedding).toHaveLength(1536);

    const models = (await (await fetch(`${openai.url}/v1/models`, { headers: auth })).json()) as Json;
    expect(models.object).toBe('list');
    expect(models.data.map((m: Json) => m.id)).toContain('gpt-4o-mini');
  });
  it('scripts replies with a function of the request, and counts parallel requests', async () => {
    const openai = track(await startFakeOpenAI());
    openai.setScript((request, index) => ({ text: `#${index} for ${(request.body as Json).model}` }));
    openai.fault({ delayMs: 30 }, { times: Infinity });
    const answers = await Promise.all(
      [0, 1, 2, 3, 4].map(async () => {
        const res = await post(
          chatUrl(openai),
          { model: 'm', messages: [{ role: 'user', content: 'x' }] },
          auth,
        );
        return ((await res.json()) as Json).choices[0].message.content as string;
      }),
    );
    expect(answers.sort()).toEqual(['#0 for m', '#1 for m', '#2 for m', '#3 for m', '#4 for m']);
    expect(openai.peakInFlight).toBe(5);
    await until('every response closed', async () => openai.inFlight === 0);
  });

  it('answers 400 for a body that is not JSON, and 404 for an unknown path', async () => {
    const openai = track(await startFakeOpenAI());
    const bad = await fetch(chatUrl(openai), { method: 'POST', headers: auth, body: '{not json' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Json).error.type).toBe('invalid_request_error');
    const missing = await fetch(`${openai.url}/v1/nothing`, { headers: auth });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as Json).error.message).toBe('Invalid URL (GET /v1/nothing)');
    expect(openai.requests.map((r) => r.rawBody)).toEqual(['{not json', '']);
  });
});

describe('fake Anthropic', () => {
  const headers = { 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01' };
  const url = (server: FakeServer) => `${server.url}/v1/messages`;
  const request = {
    model: 'claude-sonnet-4-5',
    max_tokens: 256,
    messages: [{ role: 'user', content: 'Hello there' }],
  };

  it('answers a message with content blocks, stop_reason and usage', async () => {
    const anthropic = track(await startFakeAnthropic());
    anthropic.setScript({
      text: 'Hi!',
      usage: {
        inputTokens: 3,
        cachedInputTokens: 40,
        cacheWriteTokens: 5,
        outputTokens: 2,
        reasoningTokens: 4,
      },
    });
    const res = await post(url(anthropic), request, headers);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [{ type: 'text', text: 'Hi!' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: 3,
        cache_read_input_tokens: 40,
        cache_creation_input_tokens: 5,
        output_tokens: 6,
      },
    });
  });

  it('streams the real event sequence with text and input_json deltas', async () => {
    const anthropic = track(await startFakeAnthropic());
    const input = { city: 'Paris', unit: 'celsius' };
    anthropic.setScript({
      text: 'Checking the weather.',
      toolCalls: [{ name: 'get_weather', arguments: input }],
    });
    const res = await post(
      url(anthropic),
      { ...request, stream: true, tools: [{ name: weatherTool.name, input_schema: weatherTool.schema }] },
      headers,
    );
    const events = await readSse(res);
    const data = events.map((e) => JSON.parse(e.data) as Json);
    for (const [i, e] of events.entries()) expect(data[i]?.type).toBe(e.event);
    // Consecutive duplicates collapsed: the order a client must handle.
    const order = events.map((e) => e.event).filter((name, i, all) => name !== all[i - 1]);
    expect(order).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(data[0]?.message).toMatchObject({ role: 'assistant', content: [], stop_reason: null });
    expect(typeof data[0]?.message.usage.input_tokens).toBe('number');

    let text = '';
    let json = '';
    for (const event of data.filter((d) => d.type === 'content_block_delta')) {
      if (event.delta.type === 'text_delta') text += event.delta.text;
      if (event.delta.type === 'input_json_delta') json += event.delta.partial_json;
    }
    expect(text).toBe('Checking the weather.');
    expect(JSON.parse(json)).toEqual(input);
    const toolStart = data.find((d) => d.type === 'content_block_start' && d.index === 1);
    expect(toolStart?.content_block).toMatchObject({ type: 'tool_use', name: 'get_weather', input: {} });
    expect(toolStart?.content_block.id).toMatch(/^toolu_/);
    const delta = data.find((d) => d.type === 'message_delta');
    expect(delta?.delta.stop_reason).toBe('tool_use');
    expect(delta?.usage.output_tokens).toBeGreaterThan(0);
    expect(delta?.usage.input_tokens).toBe(data[0]?.message.usage.input_tokens);
  });

  it('answers Anthropic-format errors for a missing key, a wrong key and a missing version', async () => {
    const anthropic = track(await startFakeAnthropic({ apiKeys: ['sk-ant-test'] }));
    const cases: [Record<string, string>, number, string][] = [
      [{ 'anthropic-version': '2023-06-01' }, 401, 'authentication_error'],
      [{ ...headers, 'x-api-key': 'wrong' }, 401, 'authentication_error'],
      [{ 'x-api-key': 'sk-ant-test' }, 400, 'invalid_request_error'],
    ];
    for (const [h, status, type] of cases) {
      const res = await post(url(anthropic), request, h);
      expect(res.status).toBe(status);
      expect(await res.json()).toMatchObject({ type: 'error', error: { type } });
    }
  });
});

describe('fake Gemini', () => {
  const body = { contents: [{ role: 'user', parts: [{ text: 'Tell me a story' }] }] };
  const base = (server: FakeServer) => `${server.url}/v1beta/models/gemini-2.5-flash`;

  it('answers generateContent (key in the query) with candidates and usageMetadata', async () => {
    const gemini = track(await startFakeGemini());
    gemini.setScript({
      usage: { inputTokens: 4, cachedInputTokens: 6, outputTokens: 3, reasoningTokens: 2 },
    });
    const res = await post(`${base(gemini)}:generateContent?key=g-test`, body, {});
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      candidates: [
        { content: { role: 'model', parts: [{ text: 'echo: Tell me a story' }] }, finishReason: 'STOP' },
      ],
      usageMetadata: {
        promptTokenCount: 10,
        candidatesTokenCount: 3,
        totalTokenCount: 15,
        cachedContentTokenCount: 6,
        thoughtsTokenCount: 2,
      },
      modelVersion: 'gemini-2.5-flash',
    });
  });

  it('answers a function call, and streams SSE chunks with alt=sse', async () => {
    const gemini = track(await startFakeGemini());
    gemini.setScript([{ toolCalls: 'first-tool' }, { text: 'Once upon a time there was a fake.' }]);
    const tools = [{ functionDeclarations: [{ name: weatherTool.name, parameters: weatherTool.schema }] }];
    const called = (await (
      await post(`${base(gemini)}:generateContent`, { ...body, tools }, { 'x-goog-api-key': 'g-test' })
    ).json()) as Json;
    expect(called.candidates[0].content.parts).toEqual([
      { functionCall: { name: 'get_weather', args: { city: 'text', unit: 'celsius' } } },
    ]);

    const res = await post(`${base(gemini)}:streamGenerateContent?alt=sse`, body, {
      'x-goog-api-key': 'g-test',
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const chunks = (await readSse(res)).map((e) => JSON.parse(e.data) as Json);
    expect(chunks.length).toBeGreaterThan(2);
    const text = chunks
      .map((c) => c.candidates[0].content.parts.map((p: Json) => p.text ?? '').join(''))
      .join('');
    expect(text).toBe('Once upon a time there was a fake.');
    expect(chunks.at(-1)?.candidates[0].finishReason).toBe('STOP');
    expect(chunks.at(-1)?.usageMetadata.totalTokenCount).toBeGreaterThan(0);
    expect(chunks[0]?.candidates[0].finishReason).toBeUndefined();
  });

  it('streams a JSON array without alt=sse', async () => {
    const gemini = track(await startFakeGemini());
    const res = await post(`${base(gemini)}:streamGenerateContent`, body, { 'x-goog-api-key': 'g-test' });
    const chunks = (await res.json()) as Json[];
    expect(Array.isArray(chunks)).toBe(true);
    expect(chunks.at(-1)?.candidates[0].finishReason).toBe('STOP');
  });

  it('answers deterministic embeddings from embedContent and batchEmbedContents, faults included', async () => {
    const gemini = track(await startFakeGemini({ embeddingDimensions: 16 }));
    const auth = { 'x-goog-api-key': 'g-test' };
    const url = (method: string) => `${gemini.url}/v1beta/models/gemini-embedding-001:${method}`;
    const model = 'models/gemini-embedding-001';
    const content = (text: string) => ({ role: 'user', parts: [{ text }] });

    const one = (await (
      await post(url('embedContent'), { model, content: { parts: [{ text: 'hello' }] } }, auth)
    ).json()) as Json;
    expect(one.embedding.values).toHaveLength(16);

    const batch = (await (
      await post(
        url('batchEmbedContents'),
        {
          requests: [
            { model, content: content('hello'), outputDimensionality: 16 },
            { model, content: content('world'), outputDimensionality: 16 },
          ],
        },
        auth,
      )
    ).json()) as Json;
    expect(batch.embeddings).toHaveLength(2);
    expect(batch.embeddings[0].values).toEqual(one.embedding.values);
    expect(batch.embeddings[1].values).not.toEqual(one.embedding.values);

    const short = (await (
      await post(url('embedContent'), { content: content('hello'), outputDimensionality: 4 }, auth)
    ).json()) as Json;
    expect(short.embedding.values).toHaveLength(4);

    const tooLong = await post(
      url('embedContent'),
      { content: content('x'), outputDimensionality: 17 },
      auth,
    );
    expect(tooLong.status).toBe(400);
    expect(await tooLong.json()).toMatchObject({ error: { status: 'INVALID_ARGUMENT' } });
    const wrongModel = await post(
      url('batchEmbedContents'),
      { requests: [{ model: 'models/other', content: content('x') }] },
      auth,
    );
    expect(wrongModel.status).toBe(400);

    gemini.fault({ status: 429, retryAfter: '3' });
    const limited = await post(
      url('batchEmbedContents'),
      { requests: [{ model, content: content('x') }] },
      auth,
    );
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(await limited.json()).toMatchObject({ error: { code: 429, status: 'RESOURCE_EXHAUSTED' } });
  });

  it('answers Google-format errors for a missing key and a wrong key', async () => {
    const gemini = track(await startFakeGemini({ apiKeys: ['g-test'] }));
    const missing = await post(`${base(gemini)}:generateContent`, body, {});
    expect(missing.status).toBe(403);
    expect(await missing.json()).toMatchObject({ error: { code: 403, status: 'PERMISSION_DENIED' } });
    const wrong = await post(`${base(gemini)}:generateContent`, body, { 'x-goog-api-key': 'nope' });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({
      error: { code: 400, status: 'INVALID_ARGUMENT', details: [{ reason: 'API_KEY_INVALID' }] },
    });
  });
});

interface Provider {
  name: string;
  start: () => Promise<FakeServer>;
  call: (server: FakeServer, stream: boolean) => Promise<Response>;
  /** The error's provider-specific kind, read from its error body. */
  errorKind: (body: Json) => unknown;
  kinds: Record<number, unknown>;
}

const providers: Provider[] = [
  {
    name: 'OpenAI',
    start: startFakeOpenAI,
    call: (server, stream) =>
      post(
        `${server.url}/v1/chat/completions`,
        { model: 'm', stream, messages: [{ role: 'user', content: 'one two three four' }] },
        { authorization: 'Bearer k' },
      ),
    errorKind: (body) => body.error?.type,
    kinds: { 429: 'requests', 500: 'server_error', 503: 'server_error' },
  },
  {
    name: 'Anthropic',
    start: startFakeAnthropic,
    call: (server, stream) =>
      post(
        `${server.url}/v1/messages`,
        { model: 'm', max_tokens: 10, stream, messages: [{ role: 'user', content: 'one two three four' }] },
        { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
      ),
    errorKind: (body) => body.type === 'error' && body.error?.type,
    kinds: { 429: 'rate_limit_error', 500: 'api_error', 503: 'overloaded_error' },
  },
  {
    name: 'Gemini',
    start: startFakeGemini,
    call: (server, stream) =>
      post(
        `${server.url}/v1beta/models/m:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
        { contents: [{ role: 'user', parts: [{ text: 'one two three four' }] }] },
        { 'x-goog-api-key': 'k' },
      ),
    errorKind: (body) => body.error?.status,
    kinds: { 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' },
  },
];

describe.each(providers)('faults on the fake $name', (provider) => {
  const start = async () => track(await provider.start());

  it.each([429, 500, 503])('answers %i in the provider error format, once', async (status) => {
    const server = await start();
    server.fault({ status, ...(status === 429 ? { retryAfter: '2' } : {}) });
    const failed = await provider.call(server, false);
    expect(failed.status).toBe(status);
    expect(failed.headers.get('retry-after')).toBe(status === 429 ? '2' : null);
    expect(provider.errorKind((await failed.json()) as Json)).toBe(provider.kinds[status]);
    expect((await provider.call(server, false)).status).toBe(200);
  });

  it('applies a fault by count and by predicate', async () => {
    const server = await start();
    const streamed = (request: RecordedRequest) =>
      request.path.includes(':streamGenerateContent') || (request.body as Json | undefined)?.stream === true;
    server.fault({ status: 500 }, { times: 2, when: streamed });
    expect((await provider.call(server, false)).status).toBe(200);
    expect((await provider.call(server, true)).status).toBe(500);
    expect((await provider.call(server, true)).status).toBe(500);
    const ok = await provider.call(server, true);
    expect(ok.status).toBe(200);
    await readBody(ok);
    expect(server.requests).toHaveLength(4);
  });

  it('delays the headers, and each chunk', async () => {
    const server = await start();
    server.fault({ delayMs: 60 });
    let begin = performance.now();
    await (await provider.call(server, false)).json();
    expect(performance.now() - begin).toBeGreaterThanOrEqual(55);

    server.fault({ delayMsBetweenChunks: 20 });
    begin = performance.now();
    const events = parseSse((await readBody(await provider.call(server, true))).text);
    expect(events.length).toBeGreaterThan(3);
    expect(performance.now() - begin).toBeGreaterThanOrEqual((events.length - 1) * 20 - 5);
  });

  it('cuts a stream after the first chunk', async () => {
    const server = await start();
    server.fault({ cutAfterChunks: 1 });
    const res = await provider.call(server, true);
    expect(res.status).toBe(200);
    const { text, error } = await readBody(res);
    expect(error).toBeDefined();
    expect(parseSse(text)).toHaveLength(1);
  });

  it('cuts a JSON body halfway', async () => {
    const server = await start();
    server.fault({ cutAfterChunks: 1 });
    const { text, error } = await readBody(await provider.call(server, false));
    expect(error).toBeDefined();
    expect(() => JSON.parse(text)).toThrow();
  });

  it('answers 200 with malformed JSON, streamed or not', async () => {
    const server = await start();
    server.fault({ malformedJson: true }, { times: 2 });
    const plain = await provider.call(server, false);
    expect(plain.status).toBe(200);
    const plainText = await plain.text();
    expect(() => JSON.parse(plainText)).toThrow();
    const streamed = await readSse(await provider.call(server, true));
    expect(streamed.length).toBeGreaterThan(0);
    expect(() => JSON.parse(streamed[0]?.data ?? '')).toThrow();
  });

  it('hangs until the server closes, and counts concurrent requests', async () => {
    const server = await start();
    server.fault({ hang: true }, { times: 3 });
    const hanging = [1, 2, 3].map(() => provider.call(server, false).then(readBody));
    await until('three hanging requests', async () => server.inFlight === 3);
    expect(server.peakInFlight).toBe(3);
    await server.close();
    for (const result of await Promise.allSettled(hanging)) {
      // Either fetch rejects or the body read fails: never an answer.
      if (result.status === 'fulfilled') expect(result.value.error).toBeDefined();
    }
    await until('no request in flight', async () => server.inFlight === 0);
  });

  it('closes while a request waits in a delay, leaving no timer behind', async () => {
    const server = await start();
    server.fault({ delayMs: 60_000 });
    const pending = provider.call(server, false).catch((error: unknown) => error);
    await until('the delayed request', async () => server.inFlight === 1);
    await server.close();
    expect(await pending).toBeInstanceOf(Error);
  });
});
