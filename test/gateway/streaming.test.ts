import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeOpenAI, parseSse, readBody, startFakeOpenAI } from './fakes/index.js';
import { type GatewayHarness, startGateway } from './harness.js';

let a: FakeOpenAI;
let b: FakeOpenAI;
let gw: GatewayHarness;
let client: OpenAI;

const user = (content: string) => [{ role: 'user' as const, content }];

beforeAll(async () => {
  [a, b] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
  gw = await startGateway({
    providers: {
      a: { kind: 'openai-compatible', baseUrl: `${a.url}/v1`, apiKey: 'sk-a' },
      b: { kind: 'openai-compatible', baseUrl: `${b.url}/v1`, apiKey: 'sk-b' },
    },
    routes: {
      chain: { targets: [{ model: 'a/gpt-4o-mini' }, { model: 'b/gpt-4o' }] },
      idle: { targets: [{ model: 'a/gpt-4o-mini', timeoutMs: 150 }] },
    },
    retries: { attempts: 1, baseMs: 1, maxMs: 2, maxRetryAfterMs: 1_000 },
    breaker: { consecutiveFailures: 100, halfOpenAfterMs: 1_000 },
  });
  client = new OpenAI({ apiKey: gw.secret, baseURL: gw.baseURL, maxRetries: 0 });
});

afterAll(async () => {
  await gw?.close();
  await Promise.all([a?.close(), b?.close()]);
});

beforeEach(() => {
  for (const fake of [a, b]) {
    fake.clearFaults();
    fake.requests.length = 0;
    fake.setScript(undefined);
  }
});

async function collect(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  return text;
}

async function lastRequest(id?: string) {
  await gw.gateway.flush();
  const page = await gw.ledger.listRequests({ tenant: 'acme', limit: 1 });
  const entry = page.entries[0];
  if (id) expect(entry?.id).toBe(id);
  return entry;
}

describe('streaming', () => {
  it('falls back when the first target fails before any content', async () => {
    a.setScript({ text: 'from a' });
    b.setScript({ text: 'from b, the fallback' });
    // The role chunk carries no content: a cut right after it is still before the answer started.
    a.fault({ cutAfterChunks: 1 }, { times: Number.POSITIVE_INFINITY });
    const { data, response } = await client.chat.completions
      .create({ model: 'chain', stream: true, messages: user('hi') })
      .withResponse();
    expect(await collect(data)).toBe('from b, the fallback');
    expect(response.headers.get('x-baton-target')).toBe('b/gpt-4o');
    expect(a.requests).toHaveLength(2);
  });

  it('falls back on an error status before the stream starts', async () => {
    b.setScript({ text: 'fallback text' });
    a.fault({ status: 503 }, { times: 2 });
    const stream = await client.chat.completions.create({
      model: 'chain',
      stream: true,
      messages: user('hi'),
    });
    expect(await collect(stream)).toBe('fallback text');
  });

  it('ends with a typed error event, never a clean finish, when cut after content', async () => {
    a.setScript({ text: 'one two three four five six seven eight' });
    a.fault({ cutAfterChunks: 3 });
    const response = await fetch(`${gw.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chain', stream: true, messages: user('count') }),
    });
    expect(response.status).toBe(200);
    const { text } = await readBody(response);
    const events = parseSse(text);
    const last = events.at(-1);
    expect(last?.data).not.toBe('[DONE]');
    expect(JSON.parse(last?.data ?? '{}')).toMatchObject({ error: { code: 'STREAM_INTERRUPTED' } });
    expect(events.some((e) => e.data.includes('"content":"one'))).toBe(true);
    // No fallback after content: the client already has part of a's answer.
    expect(b.requests).toHaveLength(0);
    const entry = await lastRequest();
    expect(entry).toMatchObject({
      status: 'error',
      errorCode: 'STREAM_INTERRUPTED',
      stream: true,
      target: 'a/gpt-4o-mini',
    });
    expect(entry?.outputTokens).toBeGreaterThan(0);
    expect(entry?.costUsd).toBeGreaterThan(0);
  });

  it('makes the openai client throw on a mid-stream failure', async () => {
    a.setScript({ text: 'alpha beta gamma delta epsilon zeta' });
    a.fault({ cutAfterChunks: 3 });
    const stream = await client.chat.completions.create({
      model: 'chain',
      stream: true,
      messages: user('x'),
    });
    await expect(collect(stream)).rejects.toMatchObject({ code: 'STREAM_INTERRUPTED' });
  });

  it('times out a target whose first content is late, retries, and answers', async () => {
    a.setScript({ text: 'slow words arrive here' });
    // The role chunk comes at once; the content only after 400 ms, past the 150 ms timeout.
    a.fault({ delayMsBetweenChunks: 400 });
    const stream = await client.chat.completions.create({ model: 'idle', stream: true, messages: user('x') });
    expect(await collect(stream)).toBe('slow words arrive here');
    expect(a.requests).toHaveLength(2);
  });

  it('fails typed, before any byte of the answer, when no attempt produces content in time', async () => {
    a.fault({ delayMsBetweenChunks: 400 }, { times: Number.POSITIVE_INFINITY });
    await expect(
      client.chat.completions.create({ model: 'idle', stream: true, messages: user('x') }),
    ).rejects.toMatchObject({ status: 504, code: 'PROVIDER_TIMEOUT' });
  });

  it('records usage and cost of a finished stream, whether or not the client asked for usage', async () => {
    a.setScript({
      text: 'hello world',
      usage: { inputTokens: 2_000, outputTokens: 1_000, cachedInputTokens: 1_000, reasoningTokens: 0 },
    });
    const stream = await client.chat.completions.create({
      model: 'chain',
      stream: true,
      messages: user('x'),
    });
    expect(await collect(stream)).toBe('hello world');
    // The gateway asked the upstream for usage even though the client did not.
    expect(a.requests[0]?.body).toMatchObject({ stream_options: { include_usage: true } });
    const entry = await lastRequest();
    expect(entry).toMatchObject({
      status: 'ok',
      inputTokens: 3_000,
      cachedInputTokens: 1_000,
      outputTokens: 1_000,
    });
    // gpt-4o-mini: 2,000 uncached at $0.15, 1,000 cached at $0.075, 1,000 out at $0.60 per million.
    expect(entry?.costUsd).toBeCloseTo((2_000 * 0.15 + 1_000 * 0.075 + 1_000 * 0.6) / 1e6, 12);
  });

  it('records a cancelled stream with its estimated cost and stops the upstream', async () => {
    a.setScript({ text: Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ') });
    a.fault({ delayMsBetweenChunks: 5 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'chain', stream: true, messages: user('long') },
      { signal: controller.signal },
    );
    let seen = 0;
    // The client stops reading; openai's stream ends quietly on abort.
    await (async () => {
      for await (const chunk of stream) {
        seen += chunk.choices[0]?.delta.content?.length ?? 0;
        if (seen > 40) controller.abort();
      }
    })().catch(() => undefined);
    expect(seen).toBeLessThan(600);
    await expect.poll(async () => (await lastRequest())?.status, { timeout: 3_000 }).toBe('cancelled');
    const entry = await lastRequest();
    expect(entry?.outputTokens).toBeGreaterThan(0);
    expect(entry?.costUsd).toBeGreaterThan(0);
    await expect.poll(() => a.inFlight, { timeout: 3_000 }).toBe(0);
  });

  it('records a client that leaves before the first content as cancelled, not as a provider failure', async () => {
    a.fault({ delayMs: 300 }, { times: Number.POSITIVE_INFINITY });
    const controller = new AbortController();
    const pending = client.chat.completions.create(
      { model: 'idle', stream: true, messages: user('leave') },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toThrow();
    await expect
      .poll(async () => (await lastRequest())?.errorCode, { timeout: 3_000 })
      .toBe('REQUEST_CANCELLED');
    expect(await lastRequest()).toMatchObject({ status: 'cancelled', route: 'idle' });
    // One attempt, no retry, and the target's breaker counted nothing.
    expect(a.requests).toHaveLength(1);
    expect(gw.gateway.targets().find((t) => t.target === 'a/gpt-4o-mini')?.breaker).toBe('closed');
  });

  it('settles a stream its caller never reads, and stops the upstream', async () => {
    a.setScript({ text: 'nobody reads this' });
    a.fault({ delayMsBetweenChunks: 20 });
    const stream = await gw.gateway.chatStream(
      { model: 'idle', stream: true, messages: user('drop me') },
      { apiKey: gw.secret },
    );
    // Never iterated: after the route's timeout (150 ms) it is settled as cancelled.
    const meta = await stream.meta;
    expect(meta.target).toBe('a/gpt-4o-mini');
    expect((await lastRequest(meta.id))?.status).toBe('cancelled');
    await expect.poll(() => a.inFlight, { timeout: 3_000 }).toBe(0);
  });

  it('streams tool calls', async () => {
    a.setScript({ toolCalls: [{ name: 'lookup', arguments: { city: 'Oslo' } }] });
    const stream = await client.chat.completions.create({
      model: 'chain',
      stream: true,
      messages: user('weather'),
      tools: [
        {
          type: 'function',
          function: {
            name: 'lookup',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
          },
        },
      ],
    });
    let args = '';
    let name = '';
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) {
        args += call.function?.arguments ?? '';
        name += call.function?.name ?? '';
      }
    }
    expect(name).toBe('lookup');
    expect(JSON.parse(args)).toEqual({ city: 'Oslo' });
  });
});
