/**
 * The spans of the calls a step makes: `chat {model}` and `embeddings {model}` (CLIENT) around the
 * gateway, `execute_tool {name}` around a granted tool call, `invoke_agent {name}` around an agent's
 * loop. Each is a no-op beyond a context lookup when no traced step is running; model and tool
 * payloads also go to the step's logger at debug level, masked and cut.
 * @module
 */
import { context, type Span, SpanKind, trace } from '@opentelemetry/api';
import type { CallMeta, GatewayStream } from '../../gateway/gateway-stream.js';
import { activeLogger, TRACING_KEY } from '../context-keys.js';
import { maskedContent } from './content.js';
import { metaAttributes, requestAttributes, requestModel, responseAttributes } from './genai-attributes.js';
import { PARENT_SPAN_TAG, type Tracing } from './tracing.js';

/** The tracing of the step running this code, if any. */
export function activeTracing(): Tracing | undefined {
  return context.active().getValue(TRACING_KEY) as Tracing | undefined;
}

function debug(what: string, fields: Record<string, unknown>): void {
  const logger = activeLogger();
  if (!logger?.isLevelEnabled('debug')) return;
  const masked: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) masked[k] = v === undefined ? undefined : maskedContent(v);
  logger.debug(masked, what);
}

function setContent(tracing: Tracing, span: Span, key: string, value: unknown): void {
  const text = tracing.content(value);
  if (text !== undefined) span.setAttribute(key, text);
}

/** A non-streamed chat or embeddings call through the gateway, in its span. */
export function traceModelCall<T extends { response: unknown; meta: CallMeta }>(
  tracing: Tracing,
  operation: 'chat' | 'embeddings',
  body: unknown,
  call: () => Promise<T>,
): Promise<T> {
  const input = operation === 'chat' ? (body as { messages?: unknown } | null)?.messages : undefined;
  debug('model call', { model: requestModel(body), input });
  return tracing.inSpan(
    `${operation} ${requestModel(body)}`,
    SpanKind.CLIENT,
    requestAttributes(operation, body),
    async (span) => {
      setContent(tracing, span, 'gen_ai.input.messages', input);
      const result = await call();
      span.setAttributes({ ...metaAttributes(result.meta), ...responseAttributes(result.response) });
      if (operation === 'chat') {
        const choices = (result.response as { choices?: { message?: unknown }[] }).choices ?? [];
        const output = choices.map((c) => c.message);
        setContent(tracing, span, 'gen_ai.output.messages', output);
        debug('model answer', { model: requestModel(body), output });
      }
      return result;
    },
  );
}

/**
 * A streamed chat call: its span starts with the call and ends when the stream's `meta` settles
 * (the stream ended, failed or was abandoned).
 */
export async function traceChatStream(
  tracing: Tracing,
  body: unknown,
  call: () => Promise<GatewayStream>,
): Promise<GatewayStream> {
  const started = tracing.startChild(`chat ${requestModel(body)}`, SpanKind.CLIENT, {
    ...requestAttributes('chat', body),
    'gen_ai.request.stream': true,
  });
  if (!started) return call();
  const { span, ctx } = started;
  let stream: GatewayStream;
  try {
    stream = await context.with(ctx, call);
  } catch (error) {
    tracing.fail(span, error);
    span.end();
    throw error;
  }
  // The span lasts as long as the stream: its usage and cost are known once it has ended.
  stream.meta.then(
    (meta) => {
      span.setAttributes(metaAttributes(meta));
      span.end();
    },
    (error: unknown) => {
      tracing.fail(span, error);
      span.end();
    },
  );
  return stream;
}

/** A granted tool call, in its `execute_tool {name}` span. */
export function traceToolCall<T extends { ok: boolean; error?: { code: string }; content: string }>(
  name: string,
  callId: string | undefined,
  args: unknown,
  call: () => Promise<T>,
): Promise<T> {
  const tracing = activeTracing();
  debug('tool call', { tool: name, arguments: args });
  if (!tracing) return call().then(logResult(name));
  return tracing
    .inSpan(
      `execute_tool ${name}`,
      SpanKind.INTERNAL,
      {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': name,
        'gen_ai.tool.type': 'function',
        ...(callId === undefined ? {} : { 'gen_ai.tool.call.id': callId }),
      },
      async (span) => {
        setContent(tracing, span, 'gen_ai.tool.call.arguments', args);
        const outcome = await call();
        span.setAttribute('baton.tool.outcome', outcome.ok ? 'ok' : (outcome.error?.code ?? 'error'));
        if (!outcome.ok) tracing.fail(span, { code: outcome.error?.code, message: outcome.content });
        setContent(tracing, span, 'gen_ai.tool.call.result', outcome.content);
        return outcome;
      },
    )
    .then(logResult(name));
}

function logResult<T extends { ok: boolean; content: string }>(name: string): (outcome: T) => T {
  return (outcome) => {
    debug('tool result', { tool: name, ok: String(outcome.ok), result: outcome.content });
    return outcome;
  };
}

/** What an agent's loop reports, for its span's usage attributes. */
export interface AgentLoopUsage {
  iterations: number;
  usage: { inputTokens: number; outputTokens: number; costUsd: number };
}

/** An agent's loop, in its `invoke_agent {name}` span. */
export function traceAgent<T extends AgentLoopUsage>(name: string, loop: () => Promise<T>): Promise<T> {
  const tracing = activeTracing();
  if (!tracing) return loop();
  return tracing.inSpan(
    `invoke_agent ${name}`,
    SpanKind.INTERNAL,
    { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': name },
    async (span) => {
      const result = await loop();
      span.setAttributes({
        'gen_ai.usage.input_tokens': result.usage.inputTokens,
        'gen_ai.usage.output_tokens': result.usage.outputTokens,
        'gen_ai.usage.cost': result.usage.costUsd,
        'baton.cost_usd': result.usage.costUsd,
        'baton.agent.iterations': result.iterations,
      });
      return result;
    },
    // A takeover resumes the loop from its journal: the calls of both workers hang from one span.
    { derivedId: true },
  );
}

/**
 * What a delegation passes to the child run it submits, so the child joins the parent's trace: its
 * trace id, and a tag naming the span its run span hangs from (`baton.parent-span:<span id>`). Empty
 * outside a traced step.
 */
export function childRunTrace(parent: { traceId: string }): { traceId?: string; tags?: string[] } {
  const tracing = activeTracing();
  const span = tracing ? trace.getSpan(context.active()) : undefined;
  if (!span) return {};
  return { traceId: parent.traceId, tags: [`${PARENT_SPAN_TAG}${span.spanContext().spanId}`] };
}
