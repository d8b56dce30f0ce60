/**
 * Failures of both AI SDK providers against their fake upstreams over real HTTP: every upstream
 * fault is thrown as a ProviderError with the code the router acts on, in chat and in streams.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeServer,
  type Script,
  startFakeAnthropic,
  startFakeGemini,
} from '../../../../test/gateway/fakes/index.js';
import { until } from '../../../../test/until.js';
import { ProviderError } from '../../errors.js';
import type { ChatChunk, ChatRequest } from '../../types.js';
import type { Provider, ProviderCall } from '../provider.js';
import { createAnthropicProvider } from './anthropic.js';
import { createGeminiProvider } from './gemini.js';

interface Case {
  name: string;
  model: string;
  start(): Promise<FakeServer & { setScript(script: Script | undefined): void }>;
  create(baseUrl: string, apiKey: string): Provider;
  /** The status the vendor answers a wrong API key with. */
  wrongKeyStatus: number;
  /** Events after which the stream has carried exactly the words "one two ". */
  eventsThroughTwoWords: number;
  /** A cut after the first event: the Anthropic SDK reads it before `doStream` returns, Gemini's is text. */
  cutAfterFirst: { code: string; text: string };
}

const cases: Case[] = [
  {
    name: 'anthropic',
    model: 'claude-sonnet-4-5',
    start: () => startFakeAnthropic({ apiKeys: ['key'] }),
    create: (baseUrl, apiKey) => createAnthropicProvider({ name: 'anthropic', baseUrl, apiKey }),
    wrongKeyStatus: 401,
    // message_start, content_block_start, ping, then one delta per word.
    eventsThroughTwoWords: 5,
    // Nothing reached the caller yet, so the failure stays retryable.
    cutAfterFirst: { code: 'PROVIDER_CONNECTION', text: '' },
  },
  {
    name: 'gemini',
    model: 'gemini-2.5-flash',
    start: () => startFakeGemini({ apiKeys: ['key'] }),
    create: (baseUrl, apiKey) => createGeminiProvider({ name: 'gemini', baseUrl, apiKey }),
    // Gemini answers a wrong key with 400 INVALID_ARGUMENT and reason API_KEY_INVALID.
    wrongKeyStatus: 400,
    eventsThroughTwoWords: 2,
    cutAfterFirst: { code: 'STREAM_INTERRUPTED', text: 'one ' },
  },
];

const ask: ChatRequest = { model: 'smart', messages: [{ role: 'user', content: 'Count to eight' }] };
const eightWords = { text: 'one two three four five six seven eight' };

describe.each(cases)('$name provider failures', (c) => {
  let fake: Awaited<ReturnType<Case['start']>>;
  let provider: Provider;
  const call = (signal: AbortSignal = new AbortController().signal): ProviderCall => ({
    model: c.model,
    signal,
    target: `${c.name}/${c.model}`,
  });

  beforeAll(async () => {
    fake = await c.start();
    provider = c.create(fake.url, 'key');
  });
  afterAll(async () => {
    await fake.close();
  });

  it('types 429 with Retry-After as PROVIDER_RATE_LIMITED with retryAfterMs', async () => {
    fake.fault({ status: 429, retryAfter: '7' });
    const error = await failureOf(provider.chat(ask, call()));
    expect(error).toMatchObject({
      code: 'PROVIDER_RATE_LIMITED',
      status: 429,
      retryAfterMs: 7000,
      retryable: true,
    });
    expect(error.target).toBe(`${c.name}/${c.model}`);
  });

  it.each([500, 503])('types %i as PROVIDER_UNAVAILABLE, in chat and in stream', async (status) => {
    fake.fault({ status }, { times: 2 });
    expect(await failureOf(provider.chat(ask, call()))).toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      status,
    });
    expect(await failureOf(collect(provider.chatStream(ask, call())))).toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      status,
    });
  });

  it('types a 400 about the context as CONTEXT_LENGTH_EXCEEDED, other 400s as PROVIDER_REJECTED', async () => {
    fake.fault({
      status: 400,
      message: 'The input token count (1048577) exceeds the maximum number of tokens allowed',
    });
    expect(await failureOf(provider.chat(ask, call()))).toMatchObject({
      code: 'CONTEXT_LENGTH_EXCEEDED',
      status: 400,
    });
    fake.fault({ status: 400, message: 'prompt is too long: 212000 tokens > 200000 maximum' });
    expect(await failureOf(collect(provider.chatStream(ask, call())))).toMatchObject({
      code: 'CONTEXT_LENGTH_EXCEEDED',
    });
    fake.fault({ status: 400, message: 'messages: roles must alternate' });
    expect(await failureOf(provider.chat(ask, call()))).toMatchObject({
      code: 'PROVIDER_REJECTED',
      status: 400,
    });
  });

  it('types a wrong API key as PROVIDER_AUTH', async () => {
    const wrongKey = c.create(fake.url, 'wrong-key');
    const error = await failureOf(wrongKey.chat(ask, call()));
    expect(error).toMatchObject({
      code: 'PROVIDER_AUTH',
      status: c.wrongKeyStatus,
      retryable: false,
      fallback: true,
    });
  });

  it('types malformed JSON as PROVIDER_BAD_RESPONSE, in chat and in stream', async () => {
    fake.fault({ malformedJson: true }, { times: 2 });
    expect(await failureOf(provider.chat(ask, call()))).toMatchObject({ code: 'PROVIDER_BAD_RESPONSE' });
    expect(await failureOf(collect(provider.chatStream(ask, call())))).toMatchObject({
      code: 'PROVIDER_BAD_RESPONSE',
    });
  });

  it('throws from the iterator when the stream is cut after the first event', async () => {
    fake.setScript(eightWords);
    fake.fault({ cutAfterChunks: 1 });
    const chunks: ChatChunk[] = [];
    const error = await failureOf(collect(provider.chatStream(ask, call()), chunks));
    expect(error.code).toBe(c.cutAfterFirst.code);
    expect(textOf(chunks)).toBe(c.cutAfterFirst.text);
  });

  it('throws STREAM_INTERRUPTED, not a clean end, when the stream is cut after content', async () => {
    fake.setScript(eightWords);
    fake.fault({ cutAfterChunks: c.eventsThroughTwoWords });
    const chunks: ChatChunk[] = [];
    const error = await failureOf(collect(provider.chatStream(ask, call()), chunks));
    expect(textOf(chunks)).toBe('one two ');
    expect(error).toMatchObject({ code: 'STREAM_INTERRUPTED', retryable: false });
    expect(chunks.some((chunk) => chunk.usage || chunk.choices[0]?.finish_reason)).toBe(false);
  });

  it('types a body cut in a non-streamed answer and a refused connection as PROVIDER_CONNECTION', async () => {
    fake.fault({ cutAfterChunks: 1 });
    expect(await failureOf(provider.chat(ask, call()))).toMatchObject({ code: 'PROVIDER_CONNECTION' });
    const nowhere = c.create(await closedPortUrl(), 'key');
    expect(await failureOf(nowhere.chat(ask, call()))).toMatchObject({
      code: 'PROVIDER_CONNECTION',
      retryable: true,
    });
  });

  it('stops a hanging call when the signal aborts, and types a timeout as PROVIDER_TIMEOUT', async () => {
    fake.fault({ hang: true }, { times: 2 });
    const controller = new AbortController();
    const pending = failureOf(provider.chat(ask, call(controller.signal)));
    await until('the request to arrive', async () => fake.inFlight === 1);
    controller.abort();
    expect(await pending).toMatchObject({ code: 'PROVIDER_CONNECTION' });
    await until('the upstream request to close', async () => fake.inFlight === 0);

    const timeout = new AbortController();
    const timed = failureOf(collect(provider.chatStream(ask, call(timeout.signal))));
    await until('the request to arrive', async () => fake.inFlight === 1);
    timeout.abort(new DOMException('The operation timed out.', 'TimeoutError'));
    expect(await timed).toMatchObject({ code: 'PROVIDER_TIMEOUT', retryable: true });
    await until('the upstream request to close', async () => fake.inFlight === 0);
  });

  it('stops reading an open stream when the signal aborts', async () => {
    fake.setScript(eightWords);
    // The first event arrives, then the fake waits: the abort lands while the stream is open.
    fake.fault({ delayMsBetweenChunks: 30_000 });
    const controller = new AbortController();
    const chunks: ChatChunk[] = [];
    const pending = failureOf(collect(provider.chatStream(ask, call(controller.signal)), chunks));
    const before = fake.requests.length;
    await until('the stream to open', async () => fake.requests.length > before && fake.inFlight === 1);
    controller.abort();
    expect(await pending).toMatchObject({ code: 'PROVIDER_CONNECTION' });
    expect(textOf(chunks)).not.toContain('two');
    await until('the upstream request to close', async () => fake.inFlight === 0);
  });

  it('cancels the upstream request when the consumer stops early', async () => {
    // 400 words, 25 ms apart: 10 s of answer, far longer than `until` waits, so only a cancelled
    // upstream request closes in time.
    fake.setScript({ text: Array.from({ length: 400 }, (_, i) => `w${i}`).join(' ') });
    fake.fault({ delayMsBetweenChunks: 25 });
    const chunks: ChatChunk[] = [];
    for await (const chunk of provider.chatStream(ask, call())) {
      chunks.push(chunk);
      if (chunk.choices[0]?.delta.content) break;
    }
    expect(textOf(chunks)).toMatch(/^w0/);
    await until('the upstream request to close', async () => fake.inFlight === 0, 3_000);
  });
});

/** Reads a stream to its end, into `into` so that a test sees what arrived before a failure. */
async function collect(stream: AsyncIterable<ChatChunk>, into: ChatChunk[] = []): Promise<ChatChunk[]> {
  for await (const chunk of stream) into.push(chunk);
  return into;
}

function textOf(chunks: ChatChunk[]): string {
  return chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
}

/** The ProviderError a promise rejects with; fails the test if it resolves or rejects with anything else. */
async function failureOf(promise: Promise<unknown>): Promise<ProviderError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(ProviderError);
  return outcome as ProviderError;
}

/** A URL on which nothing listens. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
