/**
 * Validation of what clients send. Shapes are checked where the gateway relies on them (messages,
 * roles, tools, token limits, metadata for routing); unknown fields pass through to the provider,
 * so a client using a newer parameter is not refused by the gateway.
 * @module
 */
import { z } from 'zod';
import { GatewayError } from './errors.js';
import type { ChatRequest, EmbeddingRequest } from './types.js';

const contentPart = z.looseObject({ type: z.string() });
const message = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
  name: z.string().optional(),
  tool_calls: z
    .array(
      z.looseObject({
        id: z.string(),
        type: z.literal('function'),
        function: z.looseObject({ name: z.string(), arguments: z.string() }),
      }),
    )
    .optional(),
  tool_call_id: z.string().optional(),
});
const tokens = z.number().int().positive();

const chatSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  tools: z
    .array(
      z.looseObject({
        type: z.literal('function'),
        function: z.looseObject({
          name: z.string().min(1),
          parameters: z.record(z.string(), z.unknown()).optional(),
        }),
      }),
    )
    .optional(),
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: tokens.optional(),
  max_completion_tokens: tokens.optional(),
  n: z.literal(1, { error: 'the gateway answers one choice per request (n = 1)' }).optional(),
  stream: z.boolean().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});

const embeddingSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([
    z.string(),
    z.array(z.string()).min(1),
    z.array(z.number()).min(1),
    z.array(z.array(z.number())).min(1),
  ]),
  dimensions: z.number().int().positive().optional(),
});

function parse<T>(schema: z.ZodType, body: unknown, what: string): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data as T;
  const issues = parsed.error.issues
    .slice(0, 10)
    .map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  throw new GatewayError(
    'INVALID_REQUEST',
    `invalid ${what} request: ${issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ')}`,
    {
      hint: 'Fix the listed fields; the body follows the OpenAI API',
      details: { issues },
    },
  );
}

/** Validates a chat-completions body. @throws GatewayError `INVALID_REQUEST` with paths */
export function parseChatRequest(body: unknown): ChatRequest {
  return parse<ChatRequest>(chatSchema, body, 'chat completions');
}

/** Validates an embeddings body. @throws GatewayError `INVALID_REQUEST` with paths */
export function parseEmbeddingRequest(body: unknown): EmbeddingRequest {
  return parse<EmbeddingRequest>(embeddingSchema, body, 'embeddings');
}
