/**
 * The committed half of a streamed call: it replays the held chunks, then forwards the rest with
 * PII placeholders restored (text and tool-call arguments, across chunk boundaries), an idle
 * timeout between chunks, and a typed `STREAM_INTERRUPTED` error if the upstream fails after
 * content was sent: the client sees an error event, never a clean finish. Whatever happens, it
 * reports what was streamed (usage, or an estimate from the text when the stream was cut or
 * cancelled) exactly once.
 * @module
 */
import { estimateTextTokens } from './cost.js';
import { ProviderError } from './errors.js';
import type { MaskingSession, StreamRestorer } from './pii/index.js';
import type { AttemptControl } from './routing/route-runner.js';
import type { HeldStream } from './routing/stream-hold.js';
import { type ChatChunk, type Usage, usageFromWire } from './types.js';

/** How a committed stream ended. */
export interface StreamEnd {
  status: 'ok' | 'error' | 'cancelled';
  error?: ProviderError;
  /** Reported by the provider, or estimated (`estimated: true`) from what was streamed. */
  usage: Usage | undefined;
  estimatedOutputTokens: number;
  /** The answer as the provider sent it (placeholders not restored), for the log and the cache. */
  text: string;
  toolCalls: Map<number, { id?: string; name?: string; arguments: string }>;
  finishReason: string | null;
  chunks: number;
}

/** Options of {@link pumpStream}. */
export interface PumpOptions {
  target: string;
  idleTimeoutMs: number;
  masking: MaskingSession | undefined;
  /** Whether the client asked for the usage chunk; otherwise it is not forwarded. */
  forwardUsage: boolean;
  /** Added to the usage chunk (cost and route facts). */
  decorateUsage?: (chunk: ChatChunk, usage: Usage) => ChatChunk;
  onEnd: (end: StreamEnd) => void;
  /** Whether the client went away (its abort also fails the upstream read: that is a cancel, not an error). */
  cancelled?: () => boolean;
}

/**
 * Forwards a held stream to the client. A stream nobody starts reading within the idle timeout is
 * abandoned: the upstream is stopped and the call settled as cancelled, so a caller that drops a
 * stream cannot hold its budget reservation and its connection forever.
 */
export function pumpStream(
  held: HeldStream,
  control: AttemptControl,
  options: PumpOptions,
): AsyncGenerator<ChatChunk> {
  const end: StreamEnd = {
    status: 'ok',
    usage: undefined,
    estimatedOutputTokens: 0,
    text: '',
    toolCalls: new Map(),
    finishReason: null,
    chunks: 0,
  };
  const restorers = new Map<string, StreamRestorer>();
  const restorer = (key: string, json: boolean): StreamRestorer | undefined => {
    if (options.masking?.mode !== 'mask') return undefined;
    let r = restorers.get(key);
    if (!r) {
      r = options.masking.streamRestorer({ json });
      restorers.set(key, r);
    }
    return r;
  };

  const transform = (chunk: ChatChunk): ChatChunk | undefined => {
    end.chunks += 1;
    if (chunk.usage) {
      end.usage = usageFromWire(chunk.usage);
      if (!options.forwardUsage && (chunk.choices?.length ?? 0) === 0) return undefined;
    }
    for (const choice of chunk.choices ?? []) {
      const delta = choice.delta ?? {};
      if (typeof delta.content === 'string') {
        end.text += delta.content;
        const r = restorer(`c${choice.index}`, false);
        if (r) delta.content = r.push(delta.content) + (choice.finish_reason ? r.end() : '');
      } else if (choice.finish_reason) {
        const r = restorers.get(`c${choice.index}`);
        if (r) delta.content = r.end();
      }
      for (const call of delta.tool_calls ?? []) {
        const entry = end.toolCalls.get(call.index) ?? { arguments: '' };
        if (call.id) entry.id = call.id;
        if (call.function?.name) entry.name = call.function.name;
        end.toolCalls.set(call.index, entry);
        if (call.function?.arguments !== undefined) {
          entry.arguments += call.function.arguments;
          const r = restorer(`t${choice.index}.${call.index}`, true);
          if (r) call.function.arguments = r.push(call.function.arguments);
        }
      }
      if (choice.finish_reason) {
        end.finishReason = choice.finish_reason;
        // Argument text held back for a placeholder split across chunks goes out before the finish.
        for (const [key, r] of restorers) {
          if (!key.startsWith(`t${choice.index}.`)) continue;
          const rest = r.end();
          if (rest) {
            const index = Number(key.slice(key.indexOf('.') + 1));
            delta.tool_calls = [...(delta.tool_calls ?? []), { index, function: { arguments: rest } }];
          }
        }
      }
    }
    if (chunk.usage && end.usage && options.decorateUsage) return options.decorateUsage(chunk, end.usage);
    return chunk;
  };

  let ended = false;
  const finish = (): void => {
    if (ended) return;
    ended = true;
    control.clearTimer();
    control.release();
    let toolText = 0;
    for (const call of end.toolCalls.values()) toolText += call.arguments.length + (call.name?.length ?? 0);
    end.estimatedOutputTokens = estimateTextTokens(end.text) + Math.ceil(toolText / 4);
    options.onEnd(end);
  };
  const cancel = (): void => {
    // The consumer stopped reading: the client went away. Stop the upstream too.
    end.status = 'cancelled';
    control.abort(
      new ProviderError('REQUEST_CANCELLED', 'the caller stopped reading the stream', {
        target: options.target,
      }),
    );
    void held.rest.return?.().catch(() => undefined);
    finish();
  };

  async function* run(): AsyncGenerator<ChatChunk> {
    let finished = false;
    try {
      for (const chunk of held.held) {
        const out = transform(chunk);
        if (out) yield out;
      }
      if (!held.ended) {
        for (;;) {
          const next = await nextWithin(held.rest, control, options);
          if (next.done) break;
          const out = transform(next.value);
          if (out) yield out;
        }
      }
      finished = true;
    } catch (err) {
      if (options.cancelled?.()) {
        end.status = 'cancelled';
        finished = true;
        throw err;
      }
      end.status = 'error';
      const cause = err instanceof ProviderError ? err : undefined;
      end.error = new ProviderError(
        'STREAM_INTERRUPTED',
        `${options.target} failed after the answer had started: ${cause?.message ?? String(err)}`,
        {
          target: options.target,
          cause: err,
          hint: 'The partial answer is not complete; retry the request',
          details: { upstream: cause?.code },
        },
      );
      finished = true;
      throw end.error;
    } finally {
      if (finished) finish();
      else cancel();
    }
  }

  const generator = run();
  let started = false;
  const watchdog = setTimeout(() => {
    if (!started) {
      started = true;
      cancel();
    }
  }, options.idleTimeoutMs);
  const start = (): boolean => {
    if (started) return false;
    started = true;
    clearTimeout(watchdog);
    return true;
  };
  const idle: IteratorResult<ChatChunk> = { done: true, value: undefined };
  const pump: AsyncGenerator<ChatChunk> = {
    next: (...args) => {
      if (!started) start();
      else if (ended && end.status === 'cancelled') return Promise.resolve(idle);
      return generator.next(...args);
    },
    return: (value) => {
      // A generator closed before its first next() never runs its finally: settle it here.
      if (start()) {
        cancel();
        return Promise.resolve({ done: true, value });
      }
      return generator.return(value);
    },
    throw: (err) => {
      if (start()) cancel();
      return generator.throw(err);
    },
    [Symbol.asyncIterator]() {
      return pump;
    },
  };
  return pump;
}

async function nextWithin(
  rest: AsyncIterator<ChatChunk>,
  control: AttemptControl,
  options: PumpOptions,
): Promise<IteratorResult<ChatChunk>> {
  const timer = setTimeout(() => {
    control.abort(
      new ProviderError(
        'PROVIDER_TIMEOUT',
        `${options.target} sent nothing for ${options.idleTimeoutMs} ms mid-stream`,
        { target: options.target },
      ),
    );
  }, options.idleTimeoutMs);
  try {
    return await rest.next();
  } finally {
    clearTimeout(timer);
  }
}
