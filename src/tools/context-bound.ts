/**
 * The worst-case size of an agent's context, computed from its limits alone. It exists because
 * every part of the context is bounded: the prompt by the caller, each model output by
 * `max_tokens`, each tool result by the registry's cap, and the number of turns by the iteration
 * limit (DESIGN rule 6). Compare `tokens` with the model's context window before running an agent.
 *
 * The formula, for N iterations (model calls), K tool calls at most per call, tool results of at
 * most R bytes with h bytes of framing each, a prompt of at most P bytes (system prompt, input and
 * tool definitions) and at most O output tokens per call:
 *
 * ```
 * results = (N - 1) · K · (R + h)          the last call's tool calls are never sent back
 * tokens  = P + results + N · O            every token stands for at least one byte of text
 * bytes   = P + results + N · O · b        b = the most bytes one output token can stand for
 * ```
 *
 * The context sent with call i holds P, the outputs of calls 1…i-1 and their results; the window of
 * the last call must also hold its own output, hence N · O. `tokens` is a hard bound for byte-level
 * BPE tokenizers (every token encodes at least one byte); typical English text is about 4 bytes a
 * token, which `estimatedTokens` uses.
 * @module
 */
import { BatonError } from '../core/errors.js';

/** The limits of one agent. */
export interface AgentContextLimits {
  /** Model calls in the loop (the agent's iteration limit), at least 1. */
  maxIterations: number;
  /** Tool calls the loop runs per model call (parallel tool calls); more are refused. */
  maxToolCallsPerIteration: number;
  /** The cap on one tool result or error (the grant's `maxResultBytes`). */
  maxResultBytes: number;
  /** The most UTF-8 bytes of everything sent before the first turn: system prompt, input, tool definitions. */
  promptBytes: number;
  /** `max_tokens` of every model call. */
  maxOutputTokens: number;
  /** Framing of one tool result in the request (role, call id, name). @defaultValue 0 */
  resultOverheadBytes?: number;
  /**
   * The most bytes one output token can stand for, to bound `bytes`. Tokenizers have tokens of
   * dozens of bytes (runs of spaces), so the default is an estimate, not a bound.
   * @defaultValue 4
   */
  bytesPerOutputToken?: number;
}

/** The worst-case context of an agent's last model call, its own output included. */
export interface ContextBound {
  /** Hard upper bound on tokens (for byte-level BPE tokenizers). */
  tokens: number;
  /** Typical-case tokens, at 4 bytes a token for text the agent did not generate. */
  estimatedTokens: number;
  /** Upper bound on bytes, exact when `bytesPerOutputToken` is the tokenizer's longest token. */
  bytes: number;
  /** Bytes of tool results in the context, `(N - 1) · K · (R + h)`. */
  toolResultBytes: number;
}

/**
 * Computes the worst-case context of an agent from its limits; pure.
 * @example
 * worstCaseContext({ maxIterations: 10, maxToolCallsPerIteration: 2, maxResultBytes: 8192, promptBytes: 20_000, maxOutputTokens: 1024 })
 * // { tokens: 177696, estimatedTokens: 52104, bytes: 208416, toolResultBytes: 147456 }
 */
export function worstCaseContext(limits: AgentContextLimits): ContextBound {
  const n = whole('maxIterations', limits.maxIterations, 1);
  const k = whole('maxToolCallsPerIteration', limits.maxToolCallsPerIteration, 0);
  const r = whole('maxResultBytes', limits.maxResultBytes, 0);
  const p = whole('promptBytes', limits.promptBytes, 0);
  const o = whole('maxOutputTokens', limits.maxOutputTokens, 1);
  const h = whole('resultOverheadBytes', limits.resultOverheadBytes ?? 0, 0);
  const b = whole('bytesPerOutputToken', limits.bytesPerOutputToken ?? 4, 1);
  const toolResultBytes = (n - 1) * k * (r + h);
  const inputBytes = p + toolResultBytes;
  return {
    tokens: inputBytes + n * o,
    estimatedTokens: Math.ceil(inputBytes / 4) + n * o,
    bytes: inputBytes + n * o * b,
    toolResultBytes,
  };
}

function whole(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new BatonError('INVALID_ARGUMENT', `${name} is ${value}`, {
      hint: `Agent limits must be whole numbers of at least ${min}`,
    });
  }
  return value;
}
