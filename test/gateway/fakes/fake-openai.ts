/**
 * A fake OpenAI upstream: `POST /v1/chat/completions` (JSON and SSE streaming, tool calls,
 * `response_format`), `POST /v1/embeddings` and `GET /v1/models`, with Bearer authentication and
 * OpenAI-format errors. See fake-server.ts for recording and faults, script.ts for the answers.
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
  countTokens,
  embedText,
  type FakeUsage,
  type RequestView,
  type ResolvedReply,
  type Script,
  Scripter,
  splitInto,
  splitText,
  textOf,
} from './script.js';

/** Options of {@link startFakeOpenAI}. */
export interface FakeOpenAIOptions extends FakeServerOptions {
  /** Ids listed by `GET /v1/models`. @defaultValue `['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small']` */
  models?: string[];
  /** Embedding length when the request has no `dimensions`. @defaultValue 1536 */
  embeddingDimensions?: number;
}

/** A running fake OpenAI upstream. */
export interface FakeOpenAI extends FakeServer {
  /** Chooses the chat answers from now on (`undefined` restores the echo default). */
  setScript(script: Script | undefined): void;
}

type Json = Record<string, unknown>;

/**
 * Starts a fake OpenAI upstream on 127.0.0.1; point a client at `${url}/v1`.
 * @example
 * const openai = await startFakeOpenAI();
 * openai.setScript({ toolCalls: [{ name: 'lookup', arguments: { q: 'x' } }] });
 * openai.fault({ status: 429, retryAfter: '2' });
 */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const scripter = new Scripter('call_');
  const now = options.now ?? Date.now;
  let served = 0;
  const server = await startFakeServer(
    {
      authenticate,
      errorBody,
      isStream: (request) => (request.body as Json | undefined)?.stream === true,
      handle: async (request, respond) => {
        const route = `${request.method} ${request.path}`;
        if (route === 'POST /v1/chat/completions') {
          return chat(request, respond, scripter, `chatcmpl-fake${served++}`, Math.floor(now() / 1000));
        }
        if (route === 'POST /v1/embeddings')
          return embeddings(request, respond, options.embeddingDimensions ?? 1536);
        if (route === 'GET /v1/models') {
          const ids = options.models ?? ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small'];
          const data = ids.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'system' }));
          return respond.json(200, { object: 'list', data });
        }
        return respond.error(404, `Invalid URL (${route})`);
      },
    },
    options,
  );
  return Object.assign(server, { setScript: (script: Script | undefined) => scripter.set(script) });
}

function authenticate(request: RecordedRequest, apiKeys: string[] | undefined): AuthFailure | undefined {
  const auth = header(request, 'authorization');
  const key = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length).trim() : '';
  if (key === '') {
    return {
      status: 401,
      message:
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
    };
  }
  if (apiKeys && !apiKeys.includes(key)) {
    return {
      status: 401,
      message: `Incorrect API key provided: ${key.slice(0, 3)}***. (fake OpenAI upstream)`,
    };
  }
  return undefined;
}

/** OpenAI's error body: `{ error: { message, type, param, code } }`. */
function errorBody(status: number, message: string): unknown {
  const [type, code] =
    status === 401
      ? ['invalid_request_error', 'invalid_api_key']
      : status === 429
        ? ['requests', 'rate_limit_exceeded']
        : status >= 500
          ? ['server_error', null]
          : ['invalid_request_error', null];
  return { error: { message, type, param: null, code } };
}

function view(body: Json): RequestView {
  const messages = Array.isArray(body.messages) ? (body.messages as Json[]) : [];
  const texts = messages.map((m) => textOf(m.content));
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const tools = (Array.isArray(body.tools) ? (body.tools as Json[]) : [])
    .map((t) => t.function as Json | undefined)
    .filter((f): f is Json => typeof f?.name === 'string')
    .map((f) => ({ name: f.name as string, schema: f.parameters }));
  const format = body.response_format as Json | undefined;
  let jsonSchema: unknown;
  if (format?.type === 'json_schema') jsonSchema = (format.json_schema as Json | undefined)?.schema ?? {};
  else if (format?.type === 'json_object') jsonSchema = {};
  return {
    lastUserText: lastUser ? textOf(lastUser.content) : '',
    promptText: texts.join('\n'),
    tools,
    jsonSchema,
  };
}

function usageBody(usage: FakeUsage): Json {
  const prompt = usage.inputTokens + usage.cachedInputTokens + usage.cacheWriteTokens;
  const completion = usage.outputTokens + usage.reasoningTokens;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: usage.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function finishReason(reply: ResolvedReply): string {
  return reply.stop === 'tool' ? 'tool_calls' : reply.stop === 'length' ? 'length' : 'stop';
}

async function chat(
  request: RecordedRequest,
  respond: Responder,
  scripter: Scripter,
  id: string,
  created: number,
): Promise<void> {
  const body = (request.body ?? {}) as Json;
  if (typeof body.model !== 'string' || !Array.isArray(body.messages)) {
    return respond.error(400, "The request needs a string 'model' and a 'messages' array.");
  }
  const reply = scripter.resolve(request, view(body));
  const model = body.model;
  const base = { id, object: 'chat.completion', created, model, system_fingerprint: 'fp_fake' };
  if (body.stream !== true) {
    const message: Json = {
      role: 'assistant',
      content: reply.text === '' && reply.toolCalls.length > 0 ? null : reply.text,
      refusal: null,
    };
    if (reply.toolCalls.length > 0) {
      message.tool_calls = reply.toolCalls.map((call) => ({
        id: call.id,
        type: 'function',
        function: { name: call.name, arguments: JSON.stringify(call.arguments) },
      }));
    }
    const choice = { index: 0, message, logprobs: null, finish_reason: finishReason(reply) };
    return respond.json(200, { ...base, choices: [choice], usage: usageBody(reply.usage) });
  }

  const includeUsage = (body.stream_options as Json | undefined)?.include_usage === true;
  const out = respond.stream('text/event-stream');
  const chunk = (delta: Json, finish: string | null = null) =>
    out.write(
      data({
        ...base,
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
        ...(includeUsage ? { usage: null } : {}),
      }),
    );
  await chunk({ role: 'assistant', content: '', refusal: null });
  if (reply.text !== '') for (const piece of splitText(reply.text)) await chunk({ content: piece });
  for (const [index, call] of reply.toolCalls.entries()) {
    await chunk({
      tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }],
    });
    for (const piece of splitInto(JSON.stringify(call.arguments), 3)) {
      await chunk({ tool_calls: [{ index, function: { arguments: piece } }] });
    }
  }
  await chunk({}, finishReason(reply));
  if (includeUsage) {
    await out.write(
      data({ ...base, object: 'chat.completion.chunk', choices: [], usage: usageBody(reply.usage) }),
    );
  }
  await out.write('data: [DONE]\n\n');
  out.end();
}

function data(value: unknown): string {
  return `data: ${JSON.stringify(value)}\n\n`;
}

async function embeddings(
  request: RecordedRequest,
  respond: Responder,
  defaultDimensions: number,
): Promise<void> {
  const body = (request.body ?? {}) as Json;
  const input = body.input;
  const inputs = Array.isArray(input) ? input : [input];
  if (typeof body.model !== 'string' || input === undefined || inputs.length === 0) {
    return respond.error(400, "The request needs a string 'model' and an 'input'.");
  }
  const dimensions = typeof body.dimensions === 'number' ? body.dimensions : defaultDimensions;
  const texts = inputs.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
  const data = texts.map((text, index) => {
    const vector = embedText(text, dimensions);
    // The openai package asks for base64 by default: little-endian float32s.
    const embedding =
      body.encoding_format === 'base64'
        ? Buffer.from(new Float32Array(vector).buffer).toString('base64')
        : vector;
    return { object: 'embedding', index, embedding };
  });
  const tokens = texts.reduce((sum, text) => sum + countTokens(text), 0);
  return respond.json(200, {
    object: 'list',
    data,
    model: body.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
}
