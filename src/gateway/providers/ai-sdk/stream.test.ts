/**
 * The stream translation and error typing on synthetic AI SDK streams: the orderings and failures
 * the fake upstreams cannot produce on demand.
 */
import {
  APICallError,
  JSONParseError,
  type LanguageModelV3StreamPart,
  type LanguageModelV3Usage,
  UnsupportedFunctionalityError,
} from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../errors.js';
import type { ChatChunk } from '../../types.js';
import { toProviderError } from './error-mapping.js';
import { toChatChunks } from './stream.js';

const usage: LanguageModelV3Usage = {
  inputTokens: { total: 12, noCache: 2, cacheRead: 10, cacheWrite: undefined },
  outputTokens: { total: 5, text: 4, reasoning: 1 },
};
const finish: LanguageModelV3StreamPart = {
  type: 'finish',
  usage,
  finishReason: { unified: 'tool-calls', raw: 'tool_use' },
};
const context = () => ({
  model: 'm',
  now: 2_000_000,
  fallbackId: 'chatcmpl-fallback',
  target: 'vendor/m',
  signal: new AbortController().signal,
});

/** A stream of `parts` that then closes or fails; pulled one part at a time, so a failure comes after them. */
function streamOf(
  parts: LanguageModelV3StreamPart[],
  end: 'close' | Error = 'close',
): ReadableStream<LanguageModelV3StreamPart> {
  const queue = [...parts];
  return new ReadableStream(
    {
      pull(controller) {
        const part = queue.shift();
        if (part) controller.enqueue(part);
        else if (end === 'close') controller.close();
        else controller.error(end);
      },
    },
    { highWaterMark: 0 },
  );
}

async function run(
  stream: ReadableStream<LanguageModelV3StreamPart>,
): Promise<{ chunks: ChatChunk[]; error?: ProviderError }> {
  const chunks: ChatChunk[] = [];
  try {
    for await (const chunk of toChatChunks(stream, context())) chunks.push(chunk);
    return { chunks };
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return { chunks, error: error as ProviderError };
  }
}

describe('toChatChunks', () => {
  it('emits role, deltas, finish_reason and usage, with the vendor id and without duplicate tool calls', async () => {
    const { chunks, error } = await run(
      streamOf([
        { type: 'stream-start', warnings: [] },
        { type: 'response-metadata', id: 'msg_1' },
        { type: 'text-start', id: 't' },
        { type: 'text-delta', id: 't', delta: 'Checking.' },
        { type: 'tool-input-start', id: 'a', toolName: 'lookup' },
        { type: 'tool-input-delta', id: 'a', delta: '{"q":' },
        { type: 'tool-input-delta', id: 'a', delta: '"x"}' },
        { type: 'tool-input-end', id: 'a' },
        { type: 'tool-call', toolCallId: 'a', toolName: 'lookup', input: '{"q":"x"}' },
        // A call that arrives whole, with no input deltas before it.
        { type: 'tool-call', toolCallId: 'b', toolName: 'other', input: '{}' },
        finish,
      ]),
    );
    expect(error).toBeUndefined();
    expect(chunks.map((c) => c.choices[0]?.delta ?? null)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Checking.' },
      { tool_calls: [{ index: 0, id: 'a', type: 'function', function: { name: 'lookup', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '"x"}' } }] },
      { tool_calls: [{ index: 1, id: 'b', type: 'function', function: { name: 'other', arguments: '{}' } }] },
      {},
      null,
    ]);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('tool_calls');
    expect(chunks.at(-1)?.usage).toMatchObject({
      prompt_tokens: 12,
      completion_tokens: 5,
      prompt_tokens_details: { cached_tokens: 10 },
      completion_tokens_details: { reasoning_tokens: 1 },
    });
    expect(chunks.every((c) => c.id === 'msg_1' && c.created === 2000 && c.model === 'm')).toBe(true);
  });

  it('sends the full input of a tool call whose start came without deltas', async () => {
    const { chunks } = await run(
      streamOf([
        { type: 'tool-input-start', id: 'a', toolName: 'lookup' },
        { type: 'tool-input-end', id: 'a' },
        { type: 'tool-call', toolCallId: 'a', toolName: 'lookup', input: '{"q":1}' },
        finish,
      ]),
    );
    const args = chunks
      .flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])
      .map((d) => d.function?.arguments ?? '');
    expect(args.join('')).toBe('{"q":1}');
  });

  it('throws the typed error of an error part, after what came before it', async () => {
    const parseError = new JSONParseError({ text: '{', cause: new SyntaxError('Unexpected end') });
    const { chunks, error } = await run(
      streamOf([{ type: 'text-delta', id: 't', delta: 'Hi' }, { type: 'error', error: parseError }, finish]),
    );
    expect(chunks.map((c) => c.choices[0]?.delta.content)).toEqual(['', 'Hi']);
    expect(error).toMatchObject({ code: 'PROVIDER_BAD_RESPONSE', cause: parseError });
  });

  it('types Anthropic stream error events by their type', async () => {
    const overloaded = await run(
      streamOf([{ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }]),
    );
    expect(overloaded.error).toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    const limited = await run(
      streamOf([{ type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }]),
    );
    expect(limited.error).toMatchObject({ code: 'PROVIDER_RATE_LIMITED' });
  });

  it('never ends quietly without a finish part', async () => {
    expect((await run(streamOf([{ type: 'text-delta', id: 't', delta: 'Hi' }]))).error).toMatchObject({
      code: 'STREAM_INTERRUPTED',
    });
    expect((await run(streamOf([{ type: 'stream-start', warnings: [] }]))).error).toMatchObject({
      code: 'PROVIDER_CONNECTION',
    });
  });

  it('types a read failure as a lost connection before output and STREAM_INTERRUPTED after', async () => {
    const terminated = () =>
      new TypeError('terminated', {
        cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
      });
    expect((await run(streamOf([], terminated()))).error).toMatchObject({ code: 'PROVIDER_CONNECTION' });
    expect(
      (await run(streamOf([{ type: 'text-delta', id: 't', delta: 'Hi' }], terminated()))).error,
    ).toMatchObject({
      code: 'STREAM_INTERRUPTED',
    });
  });
});

describe('toProviderError', () => {
  const failure = { target: 'vendor/m', signal: new AbortController().signal };
  const apiError = (
    statusCode: number | undefined,
    extra: Partial<ConstructorParameters<typeof APICallError>[0]> = {},
  ) =>
    new APICallError({
      message: 'upstream said no',
      url: 'http://x',
      requestBodyValues: {},
      statusCode,
      ...extra,
    });

  it('reads Retry-After, or retry-after-ms, from the response headers', () => {
    expect(
      toProviderError(apiError(429, { responseHeaders: { 'retry-after': '3' } }), failure),
    ).toMatchObject({
      code: 'PROVIDER_RATE_LIMITED',
      retryAfterMs: 3000,
    });
    expect(
      toProviderError(apiError(429, { responseHeaders: { 'retry-after-ms': '1500' } }), failure).retryAfterMs,
    ).toBe(1500);
  });

  it('types 2xx parse failures as bad responses and status-less failures as connection errors', () => {
    expect(toProviderError(apiError(200), failure).code).toBe('PROVIDER_BAD_RESPONSE');
    const refused = apiError(undefined, {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    });
    expect(toProviderError(refused, failure).code).toBe('PROVIDER_CONNECTION');
  });

  it('types requests the SDK cannot express as PROVIDER_REJECTED', () => {
    const error = new UnsupportedFunctionalityError({ functionality: 'audio input' });
    expect(toProviderError(error, failure)).toMatchObject({ code: 'PROVIDER_REJECTED', cause: error });
  });

  it('types by the abort reason once the signal is aborted', () => {
    const controller = new AbortController();
    controller.abort(new DOMException('timed out', 'TimeoutError'));
    expect(
      toProviderError(new Error('whatever fetch said'), { target: 't', signal: controller.signal }).code,
    ).toBe('PROVIDER_TIMEOUT');
  });
});
