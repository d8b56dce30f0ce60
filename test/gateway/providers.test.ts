/**
 * Every provider kind behind the same gateway and policies: OpenAI falling back to Anthropic,
 * Gemini streaming, the offline model with a rules file, and record/replay with no network.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeAnthropic,
  type FakeGemini,
  type FakeOpenAI,
  startFakeAnthropic,
  startFakeGemini,
  startFakeOpenAI,
} from './fakes/index.js';
import { type GatewayHarness, startGateway } from './harness.js';

const rules = fileURLToPath(
  new URL('../../src/gateway/providers/offline/example-rules.yaml', import.meta.url),
);
const user = (content: string) => [{ role: 'user' as const, content }];

let openai: FakeOpenAI;
let anthropic: FakeAnthropic;
let gemini: FakeGemini;
let gw: GatewayHarness;
let client: OpenAI;

beforeAll(async () => {
  [openai, anthropic, gemini] = await Promise.all([
    startFakeOpenAI(),
    startFakeAnthropic(),
    startFakeGemini(),
  ]);
  gw = await startGateway({
    providers: {
      openai: { kind: 'openai', baseUrl: `${openai.url}/v1`, apiKey: 'sk-o' },
      anthropic: { kind: 'anthropic', baseUrl: anthropic.url, apiKey: 'sk-ant' },
      google: { kind: 'gemini', baseUrl: gemini.url, apiKey: 'g-key' },
      offline: { kind: 'offline', rulesFile: rules },
    },
    routes: {
      smart: { targets: [{ model: 'openai/gpt-4o' }, { model: 'anthropic/claude-sonnet-4-5' }] },
      gem: { targets: [{ model: 'google/gemini-2.5-flash' }] },
      agent: { targets: [{ model: 'offline/agent' }] },
    },
    retries: { attempts: 0, baseMs: 1, maxMs: 1, maxRetryAfterMs: 0 },
  });
  client = new OpenAI({ apiKey: gw.secret, baseURL: gw.baseURL, maxRetries: 0 });
});

afterAll(async () => {
  await gw?.close();
  await Promise.all([openai?.close(), anthropic?.close(), gemini?.close()]);
});

describe('providers behind one gateway', () => {
  it('falls back from OpenAI to Anthropic, priced at the answering target', async () => {
    openai.fault({ status: 503 });
    anthropic.setScript({ text: 'from claude', usage: { inputTokens: 1_000, outputTokens: 100 } });
    const { data, response } = await client.chat.completions
      .create({ model: 'smart', messages: user('hi') })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('from claude');
    expect(response.headers.get('x-baton-target')).toBe('anthropic/claude-sonnet-4-5');
    // claude-sonnet-4-5: $3 in, $15 out per million tokens.
    expect(Number(response.headers.get('x-baton-cost-usd'))).toBeCloseTo((1_000 * 3 + 100 * 15) / 1e6, 12);
    expect(anthropic.requests.at(-1)?.body).toMatchObject({ model: 'claude-sonnet-4-5' });
  });

  it('streams from Gemini with tool calls and usage', async () => {
    gemini.setScript({
      toolCalls: [{ name: 'lookup', arguments: { q: 'x' } }],
      usage: { inputTokens: 10, outputTokens: 5 },
    });
    const stream = await client.chat.completions.create({
      model: 'gem',
      stream: true,
      stream_options: { include_usage: true },
      messages: user('find x'),
      tools: [
        {
          type: 'function',
          function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } },
        },
      ],
    });
    let args = '';
    let usage: { prompt_tokens: number } | undefined;
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) args += call.function?.arguments ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(JSON.parse(args)).toEqual({ q: 'x' });
    expect(usage?.prompt_tokens).toBe(10);
  });

  it('embeds through Gemini with the official openai client', async () => {
    const { data, response } = await client.embeddings
      .create({ model: 'google/gemini-embedding-001', input: ['a', 'b'] })
      .withResponse();
    expect(response.headers.get('x-baton-target')).toBe('google/gemini-embedding-001');
    expect(data.data.map((d) => d.index)).toEqual([0, 1]);
    // The client asks for base64 and decodes it: the vectors arrive as numbers, 3072 by default.
    expect(data.data.map((d) => d.embedding.length)).toEqual([3072, 3072]);
    expect(data.data[0]?.embedding).not.toEqual(data.data[1]?.embedding);
    expect(gemini.requests.at(-1)).toMatchObject({
      path: '/v1beta/models/gemini-embedding-001:batchEmbedContents',
    });
    // Gemini reports no tokens: the call is priced at the gateway's estimate, never for free.
    expect(Number(response.headers.get('x-baton-cost-usd'))).toBeGreaterThan(0);
  });

  it('answers PROVIDER_NOT_FOUND for embeddings routed to Anthropic, which has none', async () => {
    const failed = await client.embeddings.create({ model: 'anthropic/claude-sonnet-4-5', input: 'a' }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failed).toBeInstanceOf(OpenAI.APIError);
    expect(failed).toMatchObject({ status: 502, code: 'PROVIDER_NOT_FOUND' });
    expect((failed as InstanceType<typeof OpenAI.APIError>).message).toMatch(/Gemini/);
  });

  it('answers from the offline model by its rules, labelled offline', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'search',
          parameters: { type: 'object', properties: { query: { type: 'string' } } },
        },
      },
    ];
    const first = await client.chat.completions
      .create({ model: 'agent', messages: user('weather in Oslo'), tools })
      .withResponse();
    expect(first.response.headers.get('x-baton-offline')).toBe('true');
    const call = first.data.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' && call.function.name).toBe('search');
    const second = await client.chat.completions.create({
      model: 'agent',
      tools,
      messages: [
        ...user('weather in Oslo'),
        { role: 'assistant', content: null, tool_calls: first.data.choices[0]?.message.tool_calls ?? [] },
        { role: 'tool', tool_call_id: call?.id ?? '', content: 'sunny, 12 C' },
      ],
    });
    expect(second.choices[0]?.message.content).toBe('According to the search results: sunny, 12 C');
    expect(second.model).toBe('offline/agent');
  });
});

describe('record and replay', () => {
  it('replays recorded exchanges through the gateway with the upstream gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-cassettes-'));
    const upstream = await startFakeOpenAI();
    upstream.setScript({ text: 'recorded answer' });
    const config = {
      providers: { openai: { kind: 'openai', baseUrl: `${upstream.url}/v1`, apiKey: 'sk' } },
      routes: { fast: { targets: [{ model: 'openai/gpt-4o-mini' }] } },
    };
    const body = { model: 'fast', temperature: 0, messages: user('record me') };
    const recorder = await startGateway(config, { cassettes: { dir, mode: 'record' } });
    const recorded = await new OpenAI({
      apiKey: recorder.secret,
      baseURL: recorder.baseURL,
      maxRetries: 0,
    }).chat.completions.create(body);
    await recorder.close();
    await upstream.close();

    const player = await startGateway(config, { cassettes: { dir, mode: 'replay' } });
    try {
      const replayClient = new OpenAI({ apiKey: player.secret, baseURL: player.baseURL, maxRetries: 0 });
      const replayed = await replayClient.chat.completions.create(body);
      expect(replayed.choices[0]?.message.content).toBe('recorded answer');
      expect(replayed.id).toBe(recorded.id);
      await expect(
        replayClient.chat.completions.create({ ...body, messages: user('never recorded') }),
      ).rejects.toMatchObject({ code: 'CASSETTE_MISS' });
    } finally {
      await player.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
