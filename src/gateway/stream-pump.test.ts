import { describe, expect, it } from 'vitest';
import { ProviderError } from './errors.js';
import { createMasker } from './pii/index.js';
import type { AttemptControl } from './routing/route-runner.js';
import { holdUntilContent } from './routing/stream-hold.js';
import { pumpStream, type StreamEnd } from './stream-pump.js';
import type { ChatChunk } from './types.js';

const base = { id: 'c1', object: 'chat.completion.chunk' as const, created: 0, model: 'm' };
const text = (content: string, finish: ChatChunk['choices'][0]['finish_reason'] = null): ChatChunk => ({
  ...base,
  choices: [{ index: 0, delta: { content }, finish_reason: finish }],
});

function control(): AttemptControl & { controller: AbortController } {
  const controller = new AbortController();
  return {
    controller,
    signal: controller.signal,
    clearTimer() {},
    abort: (reason) => controller.abort(reason),
    release() {},
  };
}

/** An upstream that yields `chunks`, then waits for its signal (a stalled connection). */
async function* upstream(
  chunks: ChatChunk[],
  signal: AbortSignal,
  stallAfter = Number.POSITIVE_INFINITY,
): AsyncGenerator<ChatChunk> {
  for (const [i, chunk] of chunks.entries()) {
    if (i === stallAfter) {
      await new Promise((_, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
      );
    }
    yield chunk;
  }
}

async function drain(stream: AsyncIterable<ChatChunk>): Promise<{ chunks: ChatChunk[]; error: unknown }> {
  const chunks: ChatChunk[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk);
    return { chunks, error: undefined };
  } catch (error) {
    return { chunks, error };
  }
}

describe('pumpStream', () => {
  it('ends with STREAM_INTERRUPTED when the upstream goes quiet after content', async () => {
    const c = control();
    const held = await holdUntilContent(upstream([text('a'), text('b'), text('c', 'stop')], c.signal, 2));
    let end: StreamEnd | undefined;
    const { chunks, error } = await drain(
      pumpStream(held, c, {
        target: 't/m',
        idleTimeoutMs: 30,
        masking: undefined,
        forwardUsage: true,
        onEnd: (e) => (end = e),
      }),
    );
    expect(chunks.map((ch) => ch.choices[0]?.delta.content)).toEqual(['a', 'b']);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe('STREAM_INTERRUPTED');
    expect(end?.status).toBe('error');
    expect(end?.estimatedOutputTokens).toBeGreaterThan(0);
  });

  it('restores placeholders split across chunks, in text and in tool-call arguments', async () => {
    const masking = createMasker({ mode: 'mask' });
    const sent = masking.maskJson({ content: 'mail ada@example.com now' });
    expect(sent.content).toBe('mail [EMAIL_1] now');
    const c = control();
    const chunks: ChatChunk[] = [
      text('Writing to [EM'),
      text('AIL_'),
      text('1] today.'),
      {
        ...base,
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [{ index: 0, id: 'call_1', function: { name: 'send', arguments: '{"to":"[EMAI' } }],
            },
            finish_reason: null,
          },
        ],
      },
      {
        ...base,
        choices: [
          {
            index: 0,
            delta: { tool_calls: [{ index: 0, function: { arguments: 'L_1]"}' } }] },
            finish_reason: 'tool_calls',
          },
        ],
      },
    ];
    const held = await holdUntilContent(upstream(chunks, c.signal));
    const { chunks: out, error } = await drain(
      pumpStream(held, c, { target: 't/m', idleTimeoutMs: 1_000, masking, forwardUsage: true, onEnd() {} }),
    );
    expect(error).toBeUndefined();
    const content = out.map((ch) => ch.choices[0]?.delta.content ?? '').join('');
    const args = out
      .flatMap((ch) => ch.choices[0]?.delta.tool_calls ?? [])
      .map((t) => t.function?.arguments ?? '')
      .join('');
    expect(content).toBe('Writing to ada@example.com today.');
    expect(JSON.parse(args)).toEqual({ to: 'ada@example.com' });
  });

  it('reports a stopped consumer as cancelled and aborts the upstream', async () => {
    const c = control();
    const held = await holdUntilContent(upstream([text('a'), text('b'), text('c')], c.signal));
    let end: StreamEnd | undefined;
    for await (const _ of pumpStream(held, c, {
      target: 't/m',
      idleTimeoutMs: 1_000,
      masking: undefined,
      forwardUsage: true,
      onEnd: (e) => (end = e),
    }))
      break;
    expect(end?.status).toBe('cancelled');
    expect(c.signal.aborted).toBe(true);
  });
});
