/**
 * A fake Anthropic upstream: `POST /v1/messages` (JSON and SSE streaming with the real event
 * sequence, text and tool_use blocks), authenticated by `x-api-key` with a required
 * `anthropic-version`, and Anthropic-format errors. See fake-server.ts for recording and faults.
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
  type RequestView,
  type ResolvedReply,
  type Script,
  Scripter,
  splitInto,
  splitText,
  textOf,
} from './script.js';

/** A running fake Anthropic upstream. */
export interface FakeAnthropic extends FakeServer {
  /** Chooses the answers from now on (`undefined` restores the echo default). */
  setScript(script: Script | undefined): void;
}

type Json = Record<string, unknown>;

/**
 * Starts a fake Anthropic upstream on 127.0.0.1; the Messages API is at `${url}/v1/messages`.
 * @example
 * const anthropic = await startFakeAnthropic({ apiKeys: ['sk-ant-test'] });
 * anthropic.setScript({ text: 'hello', usage: { cachedInputTokens: 100 } });
 */
export async function startFakeAnthropic(options: FakeServerOptions = {}): Promise<FakeAnthropic> {
  const scripter = new Scripter('toolu_fake');
  let served = 0;
  const server = await startFakeServer(
    {
      authenticate,
      errorBody,
      isStream: (request) => (request.body as Json | undefined)?.stream === true,
      handle: async (request, respond) => {
        if (request.method === 'POST' && request.path === '/v1/messages') {
          return messages(request, respond, scripter, `msg_fake${served++}`);
        }
        return respond.error(404, `Not found: ${request.method} ${request.path}`);
      },
    },
    options,
  );
  return Object.assign(server, { setScript: (script: Script | undefined) => scripter.set(script) });
}

function authenticate(request: RecordedRequest, apiKeys: string[] | undefined): AuthFailure | undefined {
  const key = header(request, 'x-api-key') ?? '';
  if (key === '') return { status: 401, message: 'x-api-key header is required' };
  if (apiKeys && !apiKeys.includes(key)) return { status: 401, message: 'invalid x-api-key' };
  if (!header(request, 'anthropic-version'))
    return { status: 400, message: 'anthropic-version: header is required' };
  return undefined;
}

const errorTypes: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  503: 'overloaded_error',
  529: 'overloaded_error',
};

/** Anthropic's error body: `{ type: 'error', error: { type, message } }`. */
function errorBody(status: number, message: string): unknown {
  const type = errorTypes[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  return { type: 'error', error: { type, message }, request_id: 'req_fake' };
}

function view(body: Json): RequestView {
  const messages = Array.isArray(body.messages) ? (body.messages as Json[]) : [];
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const tools = (Array.isArray(body.tools) ? (body.tools as Json[]) : [])
    .filter((t) => typeof t.name === 'string')
    .map((t) => ({ name: t.name as string, schema: t.input_schema }));
  // Structured outputs: `output_format` (beta) or `output_config.format`.
  const format = (body.output_format ?? (body.output_config as Json | undefined)?.format) as Json | undefined;
  return {
    lastUserText: lastUser ? textOf(lastUser.content) : '',
    promptText: [textOf(body.system), ...messages.map((m) => textOf(m.content))].join('\n'),
    tools,
    jsonSchema: format?.type === 'json_schema' ? (format.schema ?? {}) : undefined,
  };
}

function stopReason(reply: ResolvedReply): string {
  return reply.stop === 'tool' ? 'tool_use' : reply.stop === 'length' ? 'max_tokens' : 'end_turn';
}

async function messages(
  request: RecordedRequest,
  respond: Responder,
  scripter: Scripter,
  id: string,
): Promise<void> {
  const body = (request.body ?? {}) as Json;
  if (
    typeof body.model !== 'string' ||
    typeof body.max_tokens !== 'number' ||
    !Array.isArray(body.messages)
  ) {
    return respond.error(400, 'model, max_tokens and messages are required');
  }
  const reply = scripter.resolve(request, view(body));
  const { usage } = reply;
  const inputUsage = {
    input_tokens: usage.inputTokens,
    cache_creation_input_tokens: usage.cacheWriteTokens,
    cache_read_input_tokens: usage.cachedInputTokens,
  };
  const outputTokens = usage.outputTokens + usage.reasoningTokens;
  const blocks: Json[] = [];
  if (reply.text !== '' || reply.toolCalls.length === 0) blocks.push({ type: 'text', text: reply.text });
  for (const call of reply.toolCalls)
    blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: call.arguments });
  const message = { id, type: 'message', role: 'assistant', model: body.model };

  if (body.stream !== true) {
    return respond.json(200, {
      ...message,
      content: blocks,
      stop_reason: stopReason(reply),
      stop_sequence: null,
      usage: { ...inputUsage, output_tokens: outputTokens },
    });
  }

  const out = respond.stream('text/event-stream; charset=utf-8');
  const send = (type: string, data: Json = {}) =>
    out.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  await send('message_start', {
    message: {
      ...message,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...inputUsage, output_tokens: 1 },
    },
  });
  for (const [index, block] of blocks.entries()) {
    if (block.type === 'text') {
      await send('content_block_start', { index, content_block: { type: 'text', text: '' } });
      // The real API sends a ping early in the stream, after the first block opens.
      if (index === 0) await send('ping');
      for (const text of splitText(String(block.text))) {
        await send('content_block_delta', { index, delta: { type: 'text_delta', text } });
      }
    } else {
      await send('content_block_start', {
        index,
        content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
      });
      if (index === 0) await send('ping');
      // As the real API does, the first input_json_delta is empty.
      const pieces = ['', ...splitInto(JSON.stringify(block.input), 3)];
      for (const partial_json of pieces) {
        await send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } });
      }
    }
    await send('content_block_stop', { index });
  }
  await send('message_delta', {
    delta: { stop_reason: stopReason(reply), stop_sequence: null },
    // Current API versions repeat the input counts here; output_tokens is the cumulative total.
    usage: { ...inputUsage, output_tokens: outputTokens },
  });
  await send('message_stop');
  out.end();
}
