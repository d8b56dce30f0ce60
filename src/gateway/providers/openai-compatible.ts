/**
 * The pass-through provider for OpenAI and every OpenAI-compatible server (Ollama, vLLM, llama.cpp,
 * LM Studio, Groq, Together, Azure OpenAI). It is the gateway's hot path, so it stays thin on
 * purpose: the request body is already in the upstream's format, so it only swaps the model name,
 * posts over a keep-alive undici pool, and types failures. No SDK sits in between, because an SDK
 * would parse, validate and rebuild every body the gateway has already validated.
 * @module
 */
import { Pool } from 'undici';
import { withTraceparent } from '../../telemetry/context-keys.js';
import { ProviderError, providerErrorFromException, providerErrorFromStatus } from '../errors.js';
import type { ChatChunk, ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse } from '../types.js';
import type { Provider, ProviderCall } from './provider.js';
import { sseData } from './sse-lines.js';

/** Options of an OpenAI-compatible provider. */
export interface OpenAICompatibleOptions {
  /** The provider's name, the `provider` part of `provider/model`. */
  name: string;
  /** Base URL including the version path, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer` (or `api-key` for Azure). Local servers need none. */
  apiKey?: string;
  /** Extra headers on every request (organization, project). */
  headers?: Record<string, string>;
  /**
   * Azure OpenAI: the model is a deployment name in the path, the key goes in `api-key`, and
   * `api-version` is a query parameter.
   */
  azure?: { apiVersion: string };
  /**
   * Keep-alive connections to the upstream.
   * @defaultValue 128
   */
  connections?: number;
}

interface UpstreamResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Uint8Array> & { text(): Promise<string>; dump(): Promise<void> };
}

/** Creates the pass-through provider. */
export function createOpenAICompatibleProvider(options: OpenAICompatibleOptions): Provider {
  const base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
  const pool = new Pool(base.origin, { connections: options.connections ?? 128, pipelining: 1 });
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (options.apiKey !== undefined) {
    if (options.azure) headers['api-key'] = options.apiKey;
    else headers.authorization = `Bearer ${options.apiKey}`;
  }

  function pathFor(endpoint: 'chat/completions' | 'embeddings', model: string): string {
    if (!options.azure) return `${base.pathname}${endpoint}`;
    return `${base.pathname}openai/deployments/${encodeURIComponent(model)}/${endpoint}?api-version=${encodeURIComponent(options.azure.apiVersion)}`;
  }

  async function post(
    endpoint: 'chat/completions' | 'embeddings',
    body: unknown,
    call: ProviderCall,
  ): Promise<UpstreamResponse> {
    let response: UpstreamResponse;
    try {
      response = (await pool.request({
        path: pathFor(endpoint, call.model),
        method: 'POST',
        headers: withTraceparent(headers),
        body: JSON.stringify(body),
        signal: call.signal,
      })) as unknown as UpstreamResponse;
    } catch (err) {
      throw failure(err, call);
    }
    if (response.statusCode >= 200 && response.statusCode < 300) return response;
    const text = await response.body.text().catch(() => '');
    throw providerErrorFromStatus(response.statusCode, errorMessage(text), {
      target: call.target,
      headers: (name) => header(response.headers, name),
    });
  }

  async function readJson<T>(response: UpstreamResponse, call: ProviderCall): Promise<T> {
    let text: string;
    try {
      text = await response.body.text();
    } catch (err) {
      throw failure(err, call);
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new ProviderError(
        'PROVIDER_BAD_RESPONSE',
        `${call.target} sent a body that is not JSON: ${text.slice(0, 120)}`,
        { target: call.target, cause: err },
      );
    }
  }

  return {
    name: options.name,
    async chat(request: ChatRequest, call: ProviderCall): Promise<ChatResponse> {
      const { stream: _stream, stream_options: _options, ...rest } = request;
      const response = await post('chat/completions', upstreamBody(rest, call), call);
      const answer = await readJson<ChatResponse>(response, call);
      if (!Array.isArray(answer?.choices)) {
        throw new ProviderError('PROVIDER_BAD_RESPONSE', `${call.target} answered without choices`, {
          target: call.target,
        });
      }
      return answer;
    },
    async *chatStream(request: ChatRequest, call: ProviderCall): AsyncGenerator<ChatChunk> {
      // Usage is always requested: without it a streamed call could not be priced or budgeted.
      const body = {
        ...upstreamBody(request, call),
        stream: true,
        stream_options: { ...request.stream_options, include_usage: true },
      };
      const response = await post('chat/completions', body, call);
      let done = false;
      try {
        for await (const data of sseData(response.body)) {
          if (data === '[DONE]') {
            done = true;
            break;
          }
          let chunk: ChatChunk & { error?: { message?: string; code?: string | number } };
          try {
            chunk = JSON.parse(data);
          } catch (err) {
            throw new ProviderError(
              'PROVIDER_BAD_RESPONSE',
              `${call.target} streamed an event that is not JSON: ${data.slice(0, 120)}`,
              { target: call.target, cause: err },
            );
          }
          if (chunk.error) {
            throw providerErrorFromStatus(
              Number(chunk.error.code) || 500,
              chunk.error.message ?? 'error event in stream',
              { target: call.target },
            );
          }
          yield chunk;
        }
      } catch (err) {
        throw failure(err, call);
      } finally {
        if (!done) await response.body.dump().catch(() => undefined);
      }
      if (!done) {
        throw new ProviderError('PROVIDER_CONNECTION', `${call.target} ended its stream without [DONE]`, {
          target: call.target,
          hint: 'The upstream connection was cut mid-answer',
        });
      }
    },
    async embed(request: EmbeddingRequest, call: ProviderCall): Promise<EmbeddingResponse> {
      const response = await post('embeddings', { ...request, model: call.model }, call);
      return readJson<EmbeddingResponse>(response, call);
    },
    async close(): Promise<void> {
      await pool.close();
    },
  };
}

/**
 * The request as the upstream takes it: the target's model name, and `metadata` only with
 * `store: true`. Metadata is Baton's routing and labelling input; OpenAI refuses it unless the
 * completion is stored.
 */
function upstreamBody(
  request: Omit<ChatRequest, 'stream' | 'stream_options'>,
  call: ProviderCall,
): Record<string, unknown> {
  const { metadata, ...rest } = request;
  return {
    ...rest,
    model: call.model,
    ...(metadata !== undefined && request.store === true ? { metadata } : {}),
  };
}

function failure(err: unknown, call: ProviderCall): ProviderError {
  if (err instanceof ProviderError) return err;
  if (call.signal.aborted) {
    const reason: unknown = call.signal.reason;
    return reason instanceof ProviderError ? reason : providerErrorFromException(reason, call.target);
  }
  return providerErrorFromException(err, call.target);
}

function header(headers: UpstreamResponse['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function errorMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    if (typeof parsed.error === 'string') return parsed.error;
    return parsed.error?.message ?? parsed.message ?? text.slice(0, 300);
  } catch {
    return text.slice(0, 300) || 'no error body';
  }
}
