/**
 * A fake Gemini upstream: `POST /v1beta/models/{model}:generateContent` and
 * `:streamGenerateContent` (SSE with `alt=sse`, a JSON array without it), `:embedContent` and
 * `:batchEmbedContents`, authenticated by `x-goog-api-key` or `?key=`, with Google-format errors.
 * See fake-server.ts for recording and faults.
 */
import {
  type AuthFailure,
  type FakeServer,
  type FakeServerOptions,
  header,
  type RecordedRequest,
  type Responder,
  startFakeServer,
} from './fake-server.js';
import {
  embedText,
  type RequestView,
  type ResolvedReply,
  type Script,
  Scripter,
  splitText,
  textOf,
} from './script.js';

/** Options of {@link startFakeGemini}. */
export interface FakeGeminiOptions extends FakeServerOptions {
  /**
   * Embedding length when the request has no `outputDimensionality`, and the largest it may ask for
   * (gemini-embedding-001's).
   * @defaultValue 3072
   */
  embeddingDimensions?: number;
}

/** A running fake Gemini upstream. */
export interface FakeGemini extends FakeServer {
  /** Chooses the answers from now on (`undefined` restores the echo default). */
  setScript(script: Script | undefined): void;
}

type Json = Record<string, unknown>;

const route =
  /^\/(v1beta|v1)\/models\/([^/:]+):(generateContent|streamGenerateContent|embedContent|batchEmbedContents)$/;

/**
 * Starts a fake Gemini upstream on 127.0.0.1; the API is at `${url}/v1beta`.
 * @example
 * const gemini = await startFakeGemini();
 * gemini.setScript({ toolCalls: 'first-tool' });
 */
export async function startFakeGemini(options: FakeGeminiOptions = {}): Promise<FakeGemini> {
  const dimensions = options.embeddingDimensions ?? 3072;
  const scripter = new Scripter('gemini_call_');
  let served = 0;
  const server = await startFakeServer(
    {
      authenticate,
      errorBody,
      isStream: (request) =>
        route.exec(request.path)?.[3] === 'streamGenerateContent' && request.query.alt === 'sse',
      handle: async (request, respond) => {
        const match = route.exec(request.path);
        if (request.method !== 'POST' || !match) {
          return respond.error(404, `Method not found: ${request.method} ${request.path}`);
        }
        const model = decodeURIComponent(match[2] ?? '');
        if (match[3] === 'embedContent') return embedOne(request, respond, model, dimensions);
        if (match[3] === 'batchEmbedContents') return embedBatch(request, respond, model, dimensions);
        return generate(request, respond, scripter, model, match[3] === 'streamGenerateContent', served++);
      },
    },
    options,
  );
  return Object.assign(server, { setScript: (script: Script | undefined) => scripter.set(script) });
}

const invalidKey = 'API key not valid. Please pass a valid API key.';

function authenticate(request: RecordedRequest, apiKeys: string[] | undefined): AuthFailure | undefined {
  const key = header(request, 'x-goog-api-key') ?? request.query.key ?? '';
  if (key === '') {
    return {
      status: 403,
      message:
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
    };
  }
  if (apiKeys && !apiKeys.includes(key)) return { status: 400, message: invalidKey };
  return undefined;
}

const statuses: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** Google's error body: `{ error: { code, message, status, details? } }`. */
function errorBody(status: number, message: string): unknown {
  const name = statuses[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION');
  const error: Json = { code: status, message, status: name };
  if (message === invalidKey) {
    error.details = [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'API_KEY_INVALID',
        domain: 'googleapis.com',
        metadata: { service: 'generativelanguage.googleapis.com' },
      },
    ];
  }
  return { error };
}

function view(body: Json): RequestView {
  const contents = Array.isArray(body.contents) ? (body.contents as Json[]) : [];
  const lastUser = [...contents].reverse().find((c) => c.role === 'user' || c.role === undefined);
  const tools = (Array.isArray(body.tools) ? (body.tools as Json[]) : [])
    .flatMap((t) => (Array.isArray(t.functionDeclarations) ? (t.functionDeclarations as Json[]) : []))
    .filter((f) => typeof f.name === 'string')
    .map((f) => ({ name: f.name as string, schema: f.parametersJsonSchema ?? f.parameters }));
  const config = (body.generationConfig ?? {}) as Json;
  const jsonSchema =
    config.responseMimeType === 'application/json'
      ? (config.responseJsonSchema ?? config.responseSchema ?? {})
      : undefined;
  return {
    lastUserText: lastUser ? textOf(lastUser.parts) : '',
    promptText: [
      textOf((body.systemInstruction as Json | undefined)?.parts),
      ...contents.map((c) => textOf(c.parts)),
    ].join('\n'),
    tools,
    jsonSchema,
  };
}

function usageMetadata(reply: ResolvedReply): Json {
  const { usage } = reply;
  const prompt = usage.inputTokens + usage.cachedInputTokens + usage.cacheWriteTokens;
  const metadata: Json = {
    promptTokenCount: prompt,
    candidatesTokenCount: usage.outputTokens,
    totalTokenCount: prompt + usage.outputTokens + usage.reasoningTokens,
  };
  // The real API leaves these out when they are zero.
  if (usage.cachedInputTokens > 0) metadata.cachedContentTokenCount = usage.cachedInputTokens;
  if (usage.reasoningTokens > 0) metadata.thoughtsTokenCount = usage.reasoningTokens;
  return metadata;
}

async function generate(
  request: RecordedRequest,
  respond: Responder,
  scripter: Scripter,
  model: string,
  streamed: boolean,
  served: number,
): Promise<void> {
  const body = (request.body ?? {}) as Json;
  if (!Array.isArray(body.contents))
    return respond.error(400, '* GenerateContentRequest.contents: contents is not specified');
  const reply = scripter.resolve(request, view(body));
  const finishReason = reply.stop === 'length' ? 'MAX_TOKENS' : 'STOP';
  const calls = reply.toolCalls.map((call) => ({ functionCall: { name: call.name, args: call.arguments } }));
  const envelope = { modelVersion: model, responseId: `fake-response-${served}` };
  const candidate = (parts: Json[], last: boolean) => ({
    content: { role: 'model', parts },
    ...(last ? { finishReason } : {}),
    index: 0,
  });

  if (!streamed) {
    const parts: Json[] = [
      ...(reply.text !== '' || calls.length === 0 ? [{ text: reply.text }] : []),
      ...calls,
    ];
    return respond.json(200, {
      candidates: [candidate(parts, true)],
      usageMetadata: usageMetadata(reply),
      ...envelope,
    });
  }

  // Each chunk is a whole GenerateContentResponse; function calls arrive whole, never split.
  const pieces: Json[][] = reply.text !== '' ? splitText(reply.text).map((text) => [{ text }]) : [];
  if (calls.length > 0) pieces.push(calls);
  if (pieces.length === 0) pieces.push([{ text: '' }]);
  const chunks = pieces.map((parts, i) => {
    const last = i === pieces.length - 1;
    return {
      candidates: [candidate(parts, last)],
      ...(last ? { usageMetadata: usageMetadata(reply) } : {}),
      ...envelope,
    };
  });
  if (request.query.alt === 'sse') {
    const out = respond.stream('text/event-stream');
    for (const chunk of chunks) await out.write(`data: ${JSON.stringify(chunk)}\r\n\r\n`);
    out.end();
    return;
  }
  const out = respond.stream('application/json; charset=UTF-8');
  for (const [i, chunk] of chunks.entries())
    await out.write(`${i === 0 ? '[' : ',\r\n'}${JSON.stringify(chunk)}`);
  await out.write(']');
  out.end();
}

/** `embedContent`: `{ content: { parts }, outputDimensionality? }` → `{ embedding: { values } }`. */
function embedOne(
  request: RecordedRequest,
  respond: Responder,
  model: string,
  maxDimensions: number,
): Promise<void> {
  const embedded = embedding((request.body ?? {}) as Json, 'EmbedContentRequest', maxDimensions);
  if (typeof embedded === 'string') return respond.error(400, embedded);
  if (embedded.model !== undefined && embedded.model !== `models/${model}`)
    return respond.error(400, `* EmbedContentRequest.model: must be models/${model}, got ${embedded.model}`);
  return respond.json(200, { embedding: { values: embedded.values } });
}

/** `batchEmbedContents`: `{ requests: [{ model, content, outputDimensionality? }] }` → `{ embeddings: [{ values }] }`. */
function embedBatch(
  request: RecordedRequest,
  respond: Responder,
  model: string,
  maxDimensions: number,
): Promise<void> {
  const body = (request.body ?? {}) as Json;
  if (!Array.isArray(body.requests) || body.requests.length === 0)
    return respond.error(400, '* BatchEmbedContentsRequest.requests: requests is not specified');
  const embeddings: Json[] = [];
  for (const [i, item] of (body.requests as unknown[]).entries()) {
    const field = `BatchEmbedContentsRequest.requests[${i}]`;
    const embedded = embedding((item ?? {}) as Json, field, maxDimensions);
    if (typeof embedded === 'string') return respond.error(400, embedded);
    // The real API requires each request to name the model of the URL.
    if (embedded.model !== `models/${model}`) {
      return respond.error(
        400,
        `* ${field}.model: must be models/${model}, got ${String(embedded.model ?? 'nothing')}`,
      );
    }
    embeddings.push({ values: embedded.values });
  }
  return respond.json(200, { embeddings });
}

/** One EmbedContentRequest's vector, or the error message for a malformed one. */
function embedding(
  body: Json,
  field: string,
  maxDimensions: number,
): { model: unknown; values: number[] } | string {
  const parts = (body.content as Json | undefined)?.parts;
  if (!Array.isArray(parts) || parts.length === 0) return `* ${field}.content: content is not specified`;
  const requested = body.outputDimensionality;
  if (
    requested !== undefined &&
    (typeof requested !== 'number' ||
      !Number.isInteger(requested) ||
      requested < 1 ||
      requested > maxDimensions)
  ) {
    return `* ${field}.output_dimensionality: must be an integer from 1 to ${maxDimensions}`;
  }
  return { model: body.model, values: embedText(textOf(parts), requested ?? maxDimensions) };
}
