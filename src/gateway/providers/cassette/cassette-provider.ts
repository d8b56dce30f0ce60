/**
 * Record and replay: a provider that wraps another, writes every exchange (answers, streams,
 * embeddings and typed failures) to a cassette file, and later answers from the file alone, so tests
 * and demos run against real model output without a key, a network or a bill.
 * @module
 */
import { BatonError } from '../../../core/errors.js';
import { ProviderError, type ProviderErrorCode } from '../../errors.js';
import type {
  ChatChunk,
  ChatRequest,
  ChatResponse,
  EmbeddingRequest,
  EmbeddingResponse,
} from '../../types.js';
import type { Provider, ProviderCall } from '../provider.js';
import { type CanonicalRequest, canonicalRequest, cassetteKey } from './canonical.js';
import {
  type Cassette,
  type CassetteEntry,
  type RecordedError,
  readCassette,
  writeCassette,
} from './cassette-file.js';

/**
 * - `record`: call the inner provider and write a fresh cassette (it replaces the file at the first exchange);
 * - `replay`: answer from the cassette only; a request it does not hold fails with `CASSETTE_MISS`;
 * - `auto`: replay what the cassette holds, record (append) what it does not.
 */
export type CassetteMode = 'record' | 'replay' | 'auto';

/** Options of {@link createCassetteProvider}. */
export interface CassetteOptions {
  /** The cassette file (JSON). Its directory is created when recording. */
  path: string;
  mode: CassetteMode;
  /**
   * The provider's name, part of every key.
   * @defaultValue the inner provider's name, else the name recorded in the cassette
   */
  name?: string;
}

/**
 * Wraps `inner` with a cassette. Identical requests recorded several times replay in the order they
 * were recorded, the last one repeating once they are used up. Only `ProviderError`s are recorded
 * (other throws are bugs or cancellations, not answers), and neither a cancelled call nor a stream
 * the consumer stopped reading is recorded.
 * @throws BatonError `INVALID_ARGUMENT` for `record` without an inner provider; `CONFIG_INVALID` when the file is not a cassette.
 * @example
 * const provider = createCassetteProvider(process.env.RECORD ? openai : undefined, {
 *   path: 'test/cassettes/triage.json',
 *   mode: process.env.RECORD ? 'record' : 'replay',
 *   name: 'openai',
 * });
 */
export function createCassetteProvider(inner: Provider | undefined, options: CassetteOptions): Provider {
  const { path, mode } = options;
  if (inner === undefined && mode === 'record') {
    throw new BatonError(
      'INVALID_ARGUMENT',
      `cannot record the cassette ${path} without a provider to call`,
      {
        hint: "Pass the real provider as inner, or use mode 'replay'",
      },
    );
  }
  const loaded = mode === 'record' ? undefined : readCassette(path);
  const name = options.name ?? inner?.name ?? loaded?.provider ?? 'cassette';
  const offline = inner ? inner.offline === true : loaded?.offline === true;
  const cassette: Cassette = loaded ?? {
    version: 1,
    provider: name,
    ...(offline ? { offline } : {}),
    entries: [],
  };
  const recorded = new Map<string, CassetteEntry[]>();
  const served = new Map<string, number>();
  if (mode !== 'record') for (const entry of cassette.entries) remember(entry);

  function remember(entry: CassetteEntry): void {
    const list = recorded.get(entry.key);
    if (list) list.push(entry);
    else recorded.set(entry.key, [entry]);
  }

  function lookup(key: string): CassetteEntry | undefined {
    if (mode === 'record') return undefined;
    const list = recorded.get(key);
    if (!list || list.length === 0) return undefined;
    const n = served.get(key) ?? 0;
    served.set(key, n + 1);
    return list[Math.min(n, list.length - 1)];
  }

  function record(entry: CassetteEntry): void {
    cassette.entries.push(entry);
    writeCassette(path, cassette);
    if (mode === 'auto') {
      remember(entry);
      // What was just recorded counts as served, so an identical next request replays it.
      served.set(entry.key, (served.get(entry.key) ?? 0) + 1);
    }
  }

  function miss(canonical: CanonicalRequest, key: string, call: ProviderCall): ProviderError {
    const file = loaded === undefined && mode !== 'record' ? ' (the file does not exist)' : '';
    return new ProviderError(
      'CASSETTE_MISS',
      `the cassette ${path}${file} has no ${canonical.kind} exchange for ${call.target} with request key ${key}`,
      {
        target: call.target,
        hint: "The request changed since recording: re-record with mode 'record' (or 'auto' to add what is missing)",
        details: { cassette: path, key },
      },
    );
  }

  function replayError(error: RecordedError, call: ProviderCall): ProviderError {
    return new ProviderError(error.code as ProviderErrorCode, error.message, {
      target: call.target,
      ...(error.status === undefined ? {} : { status: error.status }),
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
      details: { cassette: path },
    });
  }

  /** The inner provider, or a miss when this mode may not call it. */
  function live(canonical: CanonicalRequest, key: string, call: ProviderCall): Provider {
    if (mode === 'replay' || inner === undefined) throw miss(canonical, key, call);
    return inner;
  }

  function failure(err: unknown, call: ProviderCall): RecordedError | undefined {
    if (!(err instanceof ProviderError) || call.signal.aborted) return undefined;
    return {
      code: err.code,
      message: err.message,
      ...(err.status === undefined ? {} : { status: err.status }),
      ...(err.retryAfterMs === undefined ? {} : { retryAfterMs: err.retryAfterMs }),
    };
  }

  async function exchange<T>(
    kind: 'chat' | 'embed',
    request: ChatRequest | EmbeddingRequest,
    call: ProviderCall,
    answerOf: (entry: CassetteEntry) => T | undefined,
    callInner: (provider: Provider) => Promise<T>,
    entryOf: (answer: T) => Partial<CassetteEntry>,
  ): Promise<T> {
    const canonical = canonicalRequest(kind, name, call.model, request);
    const key = cassetteKey(canonical);
    const hit = lookup(key);
    if (hit) {
      call.signal.throwIfAborted();
      if (hit.error) throw replayError(hit.error, call);
      const answer = answerOf(hit);
      if (answer === undefined) throw miss(canonical, key, call);
      return structuredClone(answer);
    }
    const provider = live(canonical, key, call);
    let answer: T;
    try {
      answer = await callInner(provider);
    } catch (err) {
      const error = failure(err, call);
      if (error) record({ key, request: canonical, error });
      throw err;
    }
    record({ key, request: canonical, ...snapshot(entryOf(answer)) });
    return answer;
  }

  const provider: Provider = {
    name,
    ...(offline ? { offline: true } : {}),

    chat(request: ChatRequest, call: ProviderCall): Promise<ChatResponse> {
      return exchange(
        'chat',
        request,
        call,
        (entry) => entry.response,
        (p) => p.chat(request, call),
        (response) => ({ response }),
      );
    },

    async *chatStream(request: ChatRequest, call: ProviderCall): AsyncIterable<ChatChunk> {
      const canonical = canonicalRequest('stream', name, call.model, request);
      const key = cassetteKey(canonical);
      const hit = lookup(key);
      if (hit) {
        if (hit.chunks === undefined && hit.error === undefined) throw miss(canonical, key, call);
        for (const chunk of hit.chunks ?? []) {
          call.signal.throwIfAborted();
          yield structuredClone(chunk);
        }
        if (hit.error) throw replayError(hit.error, call);
        return;
      }
      const source = live(canonical, key, call).chatStream(request, call);
      const chunks: ChatChunk[] = [];
      try {
        for await (const chunk of source) {
          // Copied before the consumer sees it: consumers may rewrite chunks in place.
          chunks.push(snapshot(chunk));
          yield chunk;
        }
      } catch (err) {
        const error = failure(err, call);
        if (error) record({ key, request: canonical, chunks, error });
        throw err;
      }
      // Reached only when the stream ended by itself: a consumer that stops reading returns at the `yield`.
      record({ key, request: canonical, chunks });
    },

    close: async () => {
      await inner?.close?.();
    },
  };

  if (mode === 'replay' || inner === undefined || inner.embed !== undefined) {
    provider.embed = (request: EmbeddingRequest, call: ProviderCall): Promise<EmbeddingResponse> =>
      exchange(
        'embed',
        request,
        call,
        (entry) => entry.embedding,
        (p) => {
          if (!p.embed)
            throw new ProviderError('PROVIDER_REJECTED', `${call.target} has no embeddings`, {
              target: call.target,
            });
          return p.embed(request, call);
        },
        (embedding) => ({ embedding }),
      );
  }
  return provider;
}

/** A JSON copy: what is written is what the provider answered, whatever the caller does later. */
function snapshot<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
