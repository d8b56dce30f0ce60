/**
 * The gateway as a replay sees it: each model call of a step is answered from what the recorded run
 * got, in order, and a call the recording cannot answer is refused. Nothing leaves the process.
 * @module
 */
import { BatonError } from '../../core/errors.js';
import type { Gateway, RunModels } from '../../gateway/gateway.js';
import type { CallMeta } from '../../gateway/gateway-stream.js';
import type { ChatRequest, ChatResponse } from '../../gateway/types.js';

/** What a replay's models did, for its report. */
export interface ReplayModelCounts {
  /** Calls answered from the recording. */
  answered: number;
  /** Calls refused because the recording had no answer for them (never sent to a model). */
  refused: number;
}

/**
 * A stand-in for the gateway that answers a step's calls with `answers` (the texts the model gave
 * the recorded run), then refuses every further call with `REPLAY_NO_RECORDING`.
 */
export function recordedModels(
  stepId: string,
  answers: readonly string[],
  counts: ReplayModelCounts,
): Pick<Gateway, 'forRun'> {
  let next = 0;
  const refuse = (what: string): never => {
    counts.refused += 1;
    throw new BatonError(
      'REPLAY_NO_RECORDING',
      `step "${stepId}" made a ${what} the recorded run has no answer for; a replay never calls a model`,
      { hint: 'The step diverged from the recording; fork the run from this step to execute it live' },
    );
  };
  const models: RunModels = {
    async chat(body: ChatRequest) {
      const content = answers[next];
      if (content === undefined) return refuse('model call');
      next += 1;
      counts.answered += 1;
      return { response: answerOf(body, content), meta: metaOf(body) };
    },
    async chatStream() {
      return refuse('streamed model call');
    },
    async embed() {
      return refuse('embedding call');
    },
  };
  return { forRun: () => models };
}

function answerOf(body: ChatRequest, content: string): ChatResponse {
  return {
    id: 'replay',
    object: 'chat.completion',
    created: 0,
    model: body.model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  };
}

function metaOf(body: ChatRequest): CallMeta {
  return {
    id: 'replay',
    model: body.model,
    route: 'replay',
    costUsd: 0,
    priced: false,
    cacheHit: false,
    retries: 0,
    fallbacks: 0,
    offline: true,
    latencyMs: 0,
  };
}
