/**
 * The offline provider: a deterministic model that needs no key and no network, scripted by rules.
 * Examples and the first run use it when no provider key is configured, and every answer says it is
 * offline (`model: 'offline/<model>'`, `system_fingerprint: 'baton-offline'`, `offline: true`).
 * @module
 */
import { createHash } from 'node:crypto';
import type {
  ChatChunk,
  ChatRequest,
  ChatResponse,
  EmbeddingRequest,
  EmbeddingResponse,
} from '../../types.js';
import type { Provider, ProviderCall } from '../provider.js';
import { answerFor, type OfflineAnswer, requestFacts } from './answer.js';
import { offlineEmbeddings } from './embeddings.js';
import { loadOfflineRules, type OfflineRule, parseOfflineRules } from './rules.js';
import { offlineUsage } from './usage.js';

/** The `system_fingerprint` of every offline answer. */
export const OFFLINE_FINGERPRINT = 'baton-offline';

/** Options of {@link createOfflineProvider}. */
export interface OfflineProviderOptions {
  /** Rules given inline; tried before those of `rulesFile`. @defaultValue `[]` */
  rules?: OfflineRule[];
  /** A YAML or JSON rules file, read and validated when the provider is created. */
  rulesFile?: string;
  /**
   * The `created` timestamp of answers, in seconds. Fixed by default so that the same request
   * always gives a byte-identical answer (snapshots, cassettes).
   * @defaultValue `() => 0`
   */
  now?: () => number;
}

/** Arguments are streamed in pieces of this many characters, like real providers do. */
const ARGUMENT_PIECE = 16;

/**
 * Creates the offline provider. Without rules every request gets the default answer (see
 * {@link answerFor}): schema JSON for structured-output requests, else `[offline] echo: <last user text>`.
 * @throws BatonError `CONFIG_INVALID` when the rules (inline or in the file) are invalid.
 * @example
 * const offline = createOfflineProvider({ rulesFile: 'src/gateway/providers/offline/example-rules.yaml' });
 * const res = await offline.chat(request, { model: 'demo', signal, target: 'offline/demo' });
 */
export function createOfflineProvider(options: OfflineProviderOptions = {}): Provider {
  const rules = [
    ...(options.rules ? parseOfflineRules(options.rules, 'options.rules') : []),
    ...(options.rulesFile ? loadOfflineRules(options.rulesFile) : []),
  ];
  const now = options.now ?? (() => 0);

  function answer(
    request: ChatRequest,
    call: ProviderCall,
  ): { answer: OfflineAnswer; id: string; created: number } {
    call.signal.throwIfAborted();
    const answer = answerFor(rules, request, requestFacts(request, call.model), call.target);
    const digest = createHash('sha256')
      .update(JSON.stringify({ ...request, model: call.model }))
      .digest('hex');
    return { answer, id: `chatcmpl-offline-${digest.slice(0, 24)}`, created: now() };
  }

  return {
    name: 'offline',
    offline: true,

    async chat(request: ChatRequest, call: ProviderCall): Promise<ChatResponse> {
      const { answer: a, id, created } = answer(request, call);
      return {
        id,
        object: 'chat.completion',
        created,
        model: `offline/${call.model}`,
        system_fingerprint: OFFLINE_FINGERPRINT,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: a.content,
              ...(a.toolCalls.length > 0 ? { tool_calls: a.toolCalls } : {}),
              refusal: null,
            },
            finish_reason: a.toolCalls.length > 0 ? 'tool_calls' : 'stop',
          },
        ],
        usage: offlineUsage(
          request,
          a.content,
          a.toolCalls,
          a.rule === undefined ? undefined : rules[a.rule]?.usage,
        ),
      };
    },

    async *chatStream(request: ChatRequest, call: ProviderCall): AsyncIterable<ChatChunk> {
      const { answer: a, id, created } = answer(request, call);
      const chunk = (
        delta: ChatChunk['choices'][number]['delta'],
        finish: ChatChunk['choices'][number]['finish_reason'] = null,
      ): ChatChunk => ({
        id,
        object: 'chat.completion.chunk',
        created,
        model: `offline/${call.model}`,
        system_fingerprint: OFFLINE_FINGERPRINT,
        choices: [{ index: 0, delta, finish_reason: finish }],
      });
      const deltas: Array<ChatChunk['choices'][number]['delta']> = [];
      if (a.content !== null) for (const piece of splitWords(a.content)) deltas.push({ content: piece });
      a.toolCalls.forEach((tc, index) => {
        deltas.push({
          tool_calls: [
            { index, id: tc.id, type: 'function', function: { name: tc.function.name, arguments: '' } },
          ],
        });
        for (let i = 0; i < tc.function.arguments.length; i += ARGUMENT_PIECE) {
          deltas.push({
            tool_calls: [
              { index, function: { arguments: tc.function.arguments.slice(i, i + ARGUMENT_PIECE) } },
            ],
          });
        }
      });
      // The first chunk carries the role, as OpenAI's do; an answer with no content still sends it.
      const first = deltas.shift() ?? {};
      deltas.unshift({ role: 'assistant', ...(first.tool_calls ? { content: null } : {}), ...first });
      for (const delta of deltas) {
        call.signal.throwIfAborted();
        yield chunk(delta);
      }
      yield chunk({}, a.toolCalls.length > 0 ? 'tool_calls' : 'stop');
      yield {
        ...chunk({}),
        choices: [],
        usage: offlineUsage(
          request,
          a.content,
          a.toolCalls,
          a.rule === undefined ? undefined : rules[a.rule]?.usage,
        ),
      };
    },

    async embed(request: EmbeddingRequest, call: ProviderCall): Promise<EmbeddingResponse> {
      call.signal.throwIfAborted();
      return offlineEmbeddings(request, call.model, call.target);
    },
  };
}

/** Splits text into words with their trailing whitespace; the pieces concatenate back to the text. */
export function splitWords(text: string): string[] {
  if (text === '') return [''];
  return text.split(/(?<=\s)(?=\S)/);
}
