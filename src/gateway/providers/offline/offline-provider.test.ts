import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../errors.js';
import type { ChatChunk, ChatRequest, ChatResponse, ToolDefinition } from '../../types.js';
import type { ProviderCall } from '../provider.js';
import { offlineEmbedding } from './embeddings.js';
import { createOfflineProvider, splitWords } from './offline-provider.js';
import type { OfflineRule } from './rules.js';

const call = (model = 'demo'): ProviderCall => ({
  model,
  signal: new AbortController().signal,
  target: `offline/${model}`,
});
const user = (text: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'ignored',
  messages: [{ role: 'user', content: text }],
  ...extra,
});
const searchTool: ToolDefinition = {
  type: 'function',
  function: {
    name: 'search',
    parameters: {
      type: 'object',
      properties: { query: { type: 'string' }, limit: { type: 'integer', minimum: 1 } },
    },
  },
};
const content = (res: ChatResponse): string | null | undefined => res.choices[0]?.message.content;

async function collect(stream: AsyncIterable<ChatChunk>): Promise<ChatChunk[]> {
  const out: ChatChunk[] = [];
  for await (const chunk of stream) out.push(chunk);
  return out;
}

describe('offline provider: rules', () => {
  const rules: OfflineRule[] = [
    { name: 'model', when: { model: 'classifier-*' }, answer: { text: 'classifier' } },
    { name: 'prompt', when: { prompt: 'REFUND' }, answer: { text: 'refund: {{lastUser}}' } },
    { name: 'regex', when: { promptMatches: '^order #\\d+$' }, answer: { text: 'order' } },
    { name: 'system', when: { system: 'pirate' }, answer: { text: 'arr' } },
    { name: 'tool', when: { toolResult: 'sunny' }, answer: { text: 'weather: {{toolResult}}' } },
    {
      name: 'tools',
      when: { hasTools: true },
      answer: { toolCalls: [{ name: 'search', arguments: { query: '{{lastUser}}' } }] },
    },
    { name: 'json', when: { json: true, prompt: 'literal' }, answer: { json: { label: '{{model}}' } } },
    { name: 'catch-all', when: { prompt: 'refund' }, answer: { text: 'never: a rule above matches first' } },
  ];
  const offline = createOfflineProvider({ rules });

  it('labels answers offline', async () => {
    const res = await offline.chat(user('hello'), call('m1'));
    expect(offline.name).toBe('offline');
    expect(offline.offline).toBe(true);
    expect(res.model).toBe('offline/m1');
    expect(res.system_fingerprint).toBe('baton-offline');
    expect(res.choices[0]?.finish_reason).toBe('stop');
  });

  it('matches each condition, first match wins', async () => {
    expect(content(await offline.chat(user('I want a refund'), call('classifier-v2')))).toBe('classifier');
    expect(content(await offline.chat(user('I want a Refund'), call()))).toBe('refund: I want a Refund');
    expect(content(await offline.chat(user('ORDER #123'), call()))).toBe('order');
    expect(content(await offline.chat(user('order #12a'), call()))).toBe('[offline] echo: order #12a');
    const pirate: ChatRequest = {
      model: 'x',
      messages: [
        { role: 'system', content: 'Talk like a Pirate' },
        { role: 'user', content: 'hi' },
      ],
    };
    expect(content(await offline.chat(pirate, call()))).toBe('arr');
    const literal = user('literal please', { response_format: { type: 'json_object' } });
    expect(JSON.parse(content(await offline.chat(literal, call('m2'))) ?? '')).toEqual({ label: 'm2' });
  });

  it('calls a tool, then answers from the tool result of the current turn', async () => {
    const first = await offline.chat(user('weather in Paris', { tools: [searchTool] }), call());
    const choice = first.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    expect(choice?.message.tool_calls).toEqual([
      {
        id: 'call_offline_1',
        type: 'function',
        function: { name: 'search', arguments: '{"query":"weather in Paris"}' },
      },
    ]);
    const second = await offline.chat(
      {
        model: 'x',
        tools: [searchTool],
        messages: [
          { role: 'user', content: 'weather in Paris' },
          { role: 'assistant', content: null, tool_calls: choice?.message.tool_calls ?? [] },
          { role: 'tool', tool_call_id: 'call_offline_1', content: 'Sunny, 21C' },
        ],
      },
      call(),
    );
    expect(content(second)).toBe('weather: Sunny, 21C');
    // A new user turn: the old tool result no longer counts, and ids continue after the earlier call.
    const third = await offline.chat(
      {
        model: 'x',
        tools: [searchTool],
        messages: [
          { role: 'user', content: 'weather in Paris' },
          { role: 'assistant', content: null, tool_calls: choice?.message.tool_calls ?? [] },
          { role: 'tool', tool_call_id: 'call_offline_1', content: 'Sunny, 21C' },
          { role: 'assistant', content: 'weather: Sunny, 21C' },
          { role: 'user', content: [{ type: 'text', text: 'and Rome?' }] },
        ],
      },
      call(),
    );
    expect(third.choices[0]?.message.tool_calls?.[0]?.id).toBe('call_offline_2');
    expect(third.choices[0]?.message.tool_calls?.[0]?.function.arguments).toBe('{"query":"and Rome?"}');
  });

  it('generates tool arguments and JSON from schemas', async () => {
    const p = createOfflineProvider({
      rules: [
        {
          when: { hasTools: true },
          answer: { text: 'looking', toolCalls: [{ name: 'search', arguments: 'from-schema' }] },
        },
        { when: { json: true }, answer: { json: 'from-schema' } },
      ],
    });
    const tool = await p.chat(user('q', { tools: [searchTool] }), call());
    expect(content(tool)).toBe('looking');
    expect(JSON.parse(tool.choices[0]?.message.tool_calls?.[0]?.function.arguments ?? '')).toEqual({
      query: 'query',
      limit: 1,
    });
    const schema = {
      type: 'object',
      properties: { route: { enum: ['billing', 'tech'] } },
      required: ['route'],
    };
    const json = await p.chat(
      user('q', { response_format: { type: 'json_schema', json_schema: { name: 'r', schema } } }),
      call(),
    );
    expect(content(json)).toBe('{"route":"billing"}');
    const noSchema = p.chat(user('q', { response_format: { type: 'json_object' } }), call());
    await expect(noSchema).rejects.toBeInstanceOf(ProviderError);
    await expect(noSchema).rejects.toMatchObject({ code: 'PROVIDER_REJECTED' });
  });

  it('gives the documented defaults when no rule matches', async () => {
    const p = createOfflineProvider();
    expect(content(await p.chat(user('ping', { tools: [searchTool] }), call()))).toBe('[offline] echo: ping');
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } } };
    const json = user('x', { response_format: { type: 'json_schema', json_schema: { name: 's', schema } } });
    expect(content(await p.chat(json, call()))).toBe('{"ok":true}');
    expect(content(await p.chat(user('x', { response_format: { type: 'json_object' } }), call()))).toBe(
      '{"echo":"x"}',
    );
    const afterTool: ChatRequest = {
      model: 'x',
      messages: [
        { role: 'user', content: 'go' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c', type: 'function', function: { name: 't', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'c', content: 'done' },
      ],
    };
    expect(content(await p.chat(afterTool, call()))).toBe('[offline] tool result: done');
  });

  it('estimates usage from characters, or reports the rule override', async () => {
    const p = createOfflineProvider({
      rules: [
        {
          when: { prompt: 'priced' },
          answer: { text: 'x' },
          usage: { prompt_tokens: 100, completion_tokens: 7 },
        },
      ],
    });
    const res = await p.chat(user('12345678'), call());
    // 8 prompt characters -> 2 tokens; "[offline] echo: 12345678" is 24 characters -> 6 tokens.
    expect(res.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 6, total_tokens: 8 });
    expect((await p.chat(user('priced'), call())).usage).toMatchObject({
      prompt_tokens: 100,
      completion_tokens: 7,
      total_tokens: 107,
    });
  });

  it('is deterministic: the same request twice gives identical answers', async () => {
    const a = await offline.chat(user('weather?', { tools: [searchTool] }), call());
    const b = await offline.chat(user('weather?', { tools: [searchTool] }), call());
    expect(b).toEqual(a);
    expect(a.id).toMatch(/^chatcmpl-offline-[0-9a-f]{24}$/);
    expect((await offline.chat(user('other'), call())).id).not.toBe(a.id);
  });
});

describe('offline provider: streams', () => {
  const offline = createOfflineProvider({
    rules: [
      {
        when: { hasTools: true },
        answer: { toolCalls: [{ name: 'search', arguments: { query: 'a fairly long query string' } }] },
      },
      { answer: { text: 'The  quick brown fox\njumps.' } },
    ],
  });

  it('streams the same text in word chunks, role first, finish then usage last', async () => {
    const request = user('hi');
    const chunks = await collect(offline.chatStream(request, call()));
    const whole = await offline.chat(request, call());
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe(content(whole));
    expect(chunks.map((c) => c.choices[0]?.delta.content).slice(0, 4)).toEqual([
      'The  ',
      'quick ',
      'brown ',
      'fox\n',
    ]);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks.filter((c) => c.choices[0]?.delta.role !== undefined)).toHaveLength(1);
    const finish = chunks.at(-2);
    expect(finish?.choices[0]?.finish_reason).toBe('stop');
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toEqual(whole.usage);
    expect(chunks.every((c) => c.model === 'offline/demo' && c.id === whole.id)).toBe(true);
  });

  it('streams tool calls as deltas that reassemble to the non-stream call', async () => {
    const request = user('q', { tools: [searchTool] });
    const chunks = await collect(offline.chatStream(request, call()));
    const whole = await offline.chat(request, call());
    const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(deltas[0]).toEqual({
      index: 0,
      id: 'call_offline_1',
      type: 'function',
      function: { name: 'search', arguments: '' },
    });
    expect(deltas.length).toBeGreaterThan(2);
    const args = deltas.map((d) => d.function?.arguments ?? '').join('');
    expect(args).toBe(whole.choices[0]?.message.tool_calls?.[0]?.function.arguments);
    expect(chunks[0]?.choices[0]?.delta).toMatchObject({ role: 'assistant', content: null });
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('tool_calls');
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(whole.usage?.completion_tokens);
  });

  it('stops when the call is aborted', async () => {
    const controller = new AbortController();
    const seen: ChatChunk[] = [];
    const run = async () => {
      for await (const chunk of offline.chatStream(user('hi'), {
        model: 'demo',
        signal: controller.signal,
        target: 'offline/demo',
      })) {
        seen.push(chunk);
        controller.abort();
      }
    };
    await expect(run()).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toHaveLength(1);
  });

  it('splits words so that the pieces concatenate back', () => {
    for (const text of ['', ' lead', 'a b', 'tail ', 'x\n\ny  z'])
      expect(splitWords(text).join('')).toBe(text);
  });
});

describe('offline provider: embeddings', () => {
  const offline = createOfflineProvider();
  const cosine = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * (b[i] ?? 0), 0);

  it('returns deterministic unit vectors with the asked dimensions', async () => {
    const res = await offline.embed?.(
      { model: 'x', input: ['refund my order', 'refund my order', ''], dimensions: 64 },
      call('emb'),
    );
    expect(res?.model).toBe('offline/emb');
    expect(res?.data).toHaveLength(3);
    const [a, b, empty] = (res?.data ?? []).map((d) => d.embedding as number[]);
    expect(a).toHaveLength(64);
    expect(b).toEqual(a);
    for (const v of [a ?? [], empty ?? []]) expect(Math.hypot(...v)).toBeCloseTo(1, 10);
    expect(res?.usage).toEqual({ prompt_tokens: 8, total_tokens: 8 });
    const defaults = await offline.embed?.({ model: 'x', input: 'hello' }, call());
    expect(defaults?.data[0]?.embedding).toHaveLength(256);
  });

  it('puts texts sharing words closer than unrelated ones', () => {
    const base = offlineEmbedding('please refund my broken order', 256);
    const near = offlineEmbedding('refund the order', 256);
    const far = offlineEmbedding('weather tomorrow in Lisbon', 256);
    expect(cosine(base, near)).toBeGreaterThan(cosine(base, far) + 0.3);
  });

  it('encodes base64 floats and rejects bad dimensions', async () => {
    const res = await offline.embed?.(
      { model: 'x', input: 'hello', encoding_format: 'base64', dimensions: 8 },
      call(),
    );
    const bytes = Buffer.from(res?.data[0]?.embedding as string, 'base64');
    const floats = new Float32Array(new Uint8Array(bytes).buffer);
    expect(Array.from(floats)).toEqual(Array.from(new Float32Array(offlineEmbedding('hello', 8))));
    await expect(offline.embed?.({ model: 'x', input: 'a', dimensions: 0 }, call())).rejects.toMatchObject({
      code: 'PROVIDER_REJECTED',
    });
  });
});

describe('offline provider: the shipped example rules', () => {
  const offline = createOfflineProvider({
    rulesFile: new URL('./example-rules.yaml', import.meta.url).pathname,
  });
  const routeSchema = {
    type: 'object',
    properties: {
      route: { enum: ['support', 'billing', 'sales'] },
      confidence: { type: 'number', minimum: 0 },
    },
    required: ['route'],
  };
  const classify = (text: string) =>
    user(text, {
      response_format: { type: 'json_schema', json_schema: { name: 'route', schema: routeSchema } },
    });

  it('classifies: a literal for invoices, schema JSON otherwise', async () => {
    const billing = await offline.chat(classify('where is my invoice?'), call('classifier-small'));
    expect(JSON.parse(content(billing) ?? '')).toEqual({
      route: 'billing',
      confidence: 0.92,
      reason: 'mentions an invoice: where is my invoice?',
    });
    expect(billing.usage).toMatchObject({ prompt_tokens: 120, completion_tokens: 18 });
    const other = await offline.chat(classify('hello'), call('classifier-small'));
    expect(JSON.parse(content(other) ?? '')).toEqual({ route: 'support', confidence: 0 });
  });

  it('runs the agent loop: search, then answer from the result', async () => {
    const first = await offline.chat(user('capital of France', { tools: [searchTool] }), call('agent'));
    const calls = first.choices[0]?.message.tool_calls ?? [];
    expect(calls.map((c) => [c.function.name, JSON.parse(c.function.arguments)])).toEqual([
      ['search', { query: 'capital of France', limit: 3 }],
    ]);
    const second = await offline.chat(
      {
        model: 'x',
        tools: [searchTool],
        messages: [
          { role: 'user', content: 'capital of France' },
          { role: 'assistant', content: null, tool_calls: calls },
          { role: 'tool', tool_call_id: calls[0]?.id ?? '', content: 'Paris is the capital of France.' },
        ],
      },
      call('agent'),
    );
    expect(content(second)).toBe('According to the search results: Paris is the capital of France.');
  });

  it('summarizes on a summarize system prompt', async () => {
    const res = await offline.chat(
      {
        model: 'x',
        messages: [
          { role: 'system', content: 'Summarize the text.' },
          { role: 'user', content: 'Long text.' },
        ],
      },
      call('anything'),
    );
    expect(content(res)).toBe('Summary (offline): Long text.');
  });
});
