/**
 * The gateway's OpenAI-compatible HTTP surface: `POST /v1/chat/completions` (streamed and not),
 * `POST /v1/embeddings`, `GET /v1/models`, authenticated by virtual key. It translates HTTP to
 * {@link Gateway} calls and errors to the OpenAI error format (Baton's code in `code`); every
 * decision is the gateway's, so HTTP callers get exactly the policies in-process callers get.
 * @module
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { BatonError } from '../../core/errors.js';
import { GatewayError, openAIErrorBody } from '../errors.js';
import type { CallMeta, Gateway, GatewayStream } from '../gateway.js';

/** Options of {@link createGatewayApp}. */
export interface GatewayAppOptions {
  /**
   * Largest request body accepted.
   * @defaultValue the gateway config's `maxRequestBytes`
   */
  maxRequestBytes?: number;
}

const encoder = new TextEncoder();
const DONE = encoder.encode('data: [DONE]\n\n');

/** Builds the Hono app serving the gateway. Mount it under a server, or serve it alone. */
export function createGatewayApp(gateway: Gateway, options: GatewayAppOptions = {}): Hono {
  const maxBytes = options.maxRequestBytes ?? gateway.config.maxRequestBytes;
  const app = new Hono();

  app.onError((err, c) => errorResponse(c, err));
  app.notFound((c) =>
    errorResponse(
      c,
      new GatewayError('ROUTE_NOT_FOUND', `no such endpoint: ${c.req.method} ${c.req.path}`, {
        hint: 'The gateway serves POST /v1/chat/completions, POST /v1/embeddings and GET /v1/models',
      }),
    ),
  );

  app.get('/healthz', (c) => c.json({ ok: true }));

  app.get('/v1/models', async (c) => {
    const data = await gateway.models(callContext(c, false));
    return c.json({ object: 'list', data });
  });

  app.post('/v1/chat/completions', async (c) => {
    const body = await readJson(c, maxBytes);
    if (isStream(body)) {
      const stream = await gateway.chatStream(body, callContext(c, true));
      const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
      return outgoing ? sseToNode(stream, outgoing) : sseResponse(stream);
    }
    const { response, meta } = await gateway.chat(body, callContext(c, false));
    return c.json(response, 200, metaHeaders(meta));
  });

  app.post('/v1/embeddings', async (c) => {
    const body = await readJson(c, maxBytes);
    const { response, meta } = await gateway.embed(body, callContext(c, false));
    return c.json(response, 200, metaHeaders(meta));
  });

  return app;
}

/**
 * The caller of a request. Only streams follow the client's disconnect (stopping the upstream and
 * recording the call as cancelled): linking every call to the socket's abort signal measurably
 * slows the hot path, and a non-streamed answer is billed by the provider once generated anyway.
 */
function callContext(c: Context, followDisconnect: boolean): { apiKey?: string; signal?: AbortSignal } {
  const auth = header(c, 'authorization');
  const apiKey = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : header(c, 'x-api-key');
  return { ...(apiKey ? { apiKey } : {}), ...(followDisconnect ? { signal: c.req.raw.signal } : {}) };
}

function isStream(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { stream?: unknown }).stream === true;
}

/**
 * A request header. Under @hono/node-server it is read from Node's own headers: going through the
 * web `Request` would build a `Headers` object for every call, which shows on the hot path.
 */
function header(c: Context, name: string): string | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming) return c.req.header(name);
  const value = incoming.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The body as JSON, within `maxBytes`: a declared length is checked before reading, a body without
 * one (chunked) is counted as it arrives and cut off once over.
 */
async function readJson(c: Context, maxBytes: number): Promise<unknown> {
  const declared = header(c, 'content-length');
  let text: string;
  if (declared !== undefined) {
    if (Number(declared) > maxBytes) throw tooLarge(maxBytes);
    text = await c.req.text();
  } else {
    text = await readBounded(c.req.raw.body, maxBytes);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new GatewayError('INVALID_REQUEST', `the body is not valid JSON: ${(err as Error).message}`, {
      hint: 'Send a JSON body with Content-Type: application/json',
    });
  }
}

async function readBounded(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<string> {
  if (!body) return '';
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let bytes = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    text += decoder.decode(value, { stream: true });
  }
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError(
    'PAYLOAD_TOO_LARGE',
    `the body is larger than the ${maxBytes} bytes the gateway accepts`,
    { hint: 'Send less context, or raise gateway.maxRequestBytes' },
  );
}

function errorResponse(c: Context, err: unknown): Response {
  const { status, body } = openAIErrorBody(err);
  const headers: Record<string, string> = {};
  const retryAfterMs = err instanceof GatewayError ? err.retryAfterMs : undefined;
  if (retryAfterMs !== undefined)
    headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  if (!(err instanceof BatonError)) console.error('baton gateway: unexpected error', err);
  return c.json(body, status as 400, headers);
}

function metaHeaders(meta: CallMeta): Record<string, string> {
  return {
    'x-baton-request-id': meta.id,
    'x-baton-route': meta.route,
    'x-baton-target': meta.target ?? '',
    'x-baton-cost-usd': String(meta.costUsd),
    'x-baton-cache': meta.cacheHit ? 'hit' : 'miss',
    'x-baton-offline': String(meta.offline),
  };
}

function sseHeaders(stream: GatewayStream): Record<string, string> {
  return {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-baton-request-id': stream.id,
    'x-baton-route': stream.route,
    'x-baton-target': stream.target,
    'x-baton-cache': stream.cacheHit ? 'hit' : 'miss',
    'x-baton-offline': String(stream.offline),
  };
}

/**
 * Server-Sent Events written straight to Node's response. Going through a web `ReadableStream`
 * would send the headers on their own and then pull chunk by chunk; here the headers leave with
 * the first chunk, which is what the first-token latency is made of.
 */
function sseToNode(stream: GatewayStream, outgoing: ServerResponse): Response {
  const iterator = stream[Symbol.asyncIterator]();
  outgoing.writeHead(200, sseHeaders(stream));
  void (async () => {
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        if (outgoing.destroyed) {
          await iterator.return?.();
          return;
        }
        if (!outgoing.write(`data: ${JSON.stringify(next.value)}\n\n`)) {
          await new Promise<void>((resolve) => {
            const done = (): void => {
              outgoing.off('drain', done);
              outgoing.off('close', done);
              resolve();
            };
            outgoing.on('drain', done);
            outgoing.on('close', done);
          });
        }
      }
      outgoing.end('data: [DONE]\n\n');
    } catch (err) {
      if (!outgoing.destroyed) outgoing.end(`data: ${JSON.stringify(openAIErrorBody(err).body)}\n\n`);
    }
  })();
  return RESPONSE_ALREADY_SENT;
}

/** Server-Sent Events in OpenAI's format; a failure mid-stream is an `error` event and no `[DONE]`. */
function sseResponse(stream: GatewayStream): Response {
  const iterator = stream[Symbol.asyncIterator]();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await iterator.next();
        if (next.done) {
          controller.enqueue(DONE);
          controller.close();
        } else {
          controller.enqueue(encoder.encode(`data: ${JSON.stringify(next.value)}\n\n`));
        }
      } catch (err) {
        controller.enqueue(encoder.encode(`data: ${JSON.stringify(openAIErrorBody(err).body)}\n\n`));
        controller.close();
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  return new Response(body, { status: 200, headers: sseHeaders(stream) });
}
