import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI } from './fakes/index.js';
import { type GatewayHarness, startGateway } from './harness.js';

let upstream: FakeOpenAI;
let gw: GatewayHarness;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startFakeOpenAI({ apiKeys: ['sk-upstream'] });
  gw = await startGateway({
    providers: { openai: { kind: 'openai', baseUrl: `${upstream.url}/v1`, apiKey: 'sk-upstream' } },
    routes: { fast: { targets: [{ model: 'openai/gpt-4o-mini' }] } },
    retries: { attempts: 1, baseMs: 1, maxMs: 5, maxRetryAfterMs: 1000 },
  });
  client = new OpenAI({ apiKey: gw.secret, baseURL: gw.baseURL, maxRetries: 0 });
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('the official openai client against the gateway', () => {
  it('gets a plain completion with usage and cost', async () => {
    upstream.setScript({
      text: 'hello there',
      usage: { inputTokens: 1000, outputTokens: 500, cachedInputTokens: 0, reasoningTokens: 0 },
    });
    const { data, response } = await client.chat.completions
      .create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('hello there');
    expect(data.usage?.prompt_tokens).toBe(1000);
    // gpt-4o-mini: $0.15 in, $0.60 out per million tokens.
    expect(Number(response.headers.get('x-baton-cost-usd'))).toBeCloseTo((1000 * 0.15 + 500 * 0.6) / 1e6, 12);
    expect(upstream.requests.at(-1)?.body).toMatchObject({ model: 'gpt-4o-mini' });
    expect(upstream.requests.at(-1)?.headers.authorization).toBe('Bearer sk-upstream');
  });

  it('streams content and ends cleanly', async () => {
    upstream.setScript({ text: 'one two three four' });
    const stream = await client.chat.completions.create({
      model: 'fast',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'count' }],
    });
    let text = '';
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('one two three four');
    expect(usage).toMatchObject({ prompt_tokens: expect.any(Number) });
  });

  it('passes tool calls through', async () => {
    upstream.setScript({ toolCalls: [{ name: 'lookup', arguments: { q: 'weather in Oslo' } }] });
    const answer = await client.chat.completions.create({
      model: 'fast',
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [
        {
          type: 'function',
          function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } },
        },
      ],
    });
    const call = answer.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' && call.function.name).toBe('lookup');
    expect(call?.type === 'function' && JSON.parse(call.function.arguments)).toEqual({
      q: 'weather in Oslo',
    });
    expect(answer.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('raises typed errors the client understands', async () => {
    const bad = new OpenAI({ apiKey: 'bvk_nope_nope', baseURL: gw.baseURL, maxRetries: 0 });
    await expect(
      bad.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 401, code: 'KEY_INVALID' });
    await expect(
      client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 404, code: 'ROUTE_NOT_FOUND' });
    await expect(client.chat.completions.create({ model: 'fast', messages: [] })).rejects.toMatchObject({
      status: 400,
      code: 'INVALID_REQUEST',
    });
  });

  it('lists models and embeds', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain('fast');
    const embedding = await client.embeddings.create({
      model: 'openai/text-embedding-3-small',
      input: ['a', 'b'],
    });
    expect(embedding.data).toHaveLength(2);
  });
});
