/**
 * The agent loop: the model calls granted tools until it gives a final answer or a bound stops it.
 *
 * Durability: every model call, tool call and delegation is journaled at a number the loop can
 * compute from what came before (the model's answer says how many tool calls follow it), so a worker
 * that takes the step over replays the journal and resumes at the first entry missing. Layout of a
 * turn whose model entry is at `s` and asks for `n` tool calls: call `j` has its start marker at
 * `s + 1 + 2j` (written only for effects that are not idempotent) and its result at `s + 2 + 2j`;
 * the next turn starts at `s + 1 + 2n`. Entry 0 records when the loop first started.
 *
 * A non-idempotent effect found started but not finished (its worker died during the call) is not
 * called again: the model is told the outcome is unknown, which is the only honest answer.
 * @module
 */
import { BatonError } from '../../core/errors.js';
import type { RunModels } from '../../gateway/gateway.js';
import type { ChatMessage, ChatRequest, ToolCall, ToolDefinition } from '../../gateway/types.js';
import type { GrantedTools } from '../../tools/granted-tools.js';
import { capContent } from '../../tools/result-cap.js';
import type { Tool } from '../../tools/tool.js';
import { AgentBounds, type CallUsage } from './bounds.js';
import { type BuiltinContext, callBuiltin } from './builtin-tools.js';
import type { ResolvedAgent } from './define-agent.js';
import { type ModelToolNames, modelToolNames } from './model-tool-names.js';
import type { StepJournal } from './step-journal.js';

/** What a delegation produced. */
export interface DelegationResult {
  ok: boolean;
  content: string;
  childRunId: string;
  usage: CallUsage;
}

/** Starts (or re-attaches to) the child run of a delegation and waits for its end. */
export type Delegate = (request: {
  agent: string;
  task: string;
  /** Stable for this call across replays: the child run's idempotency key. */
  key: string;
  budget: { costUsd?: number; tokens?: number; timeoutMs?: number };
  signal: AbortSignal;
}) => Promise<DelegationResult>;

/** Everything one run of the loop uses. */
export interface LoopRequest {
  agent: ResolvedAgent;
  stepId: string;
  runId: string;
  tenant: string;
  /** The step's idempotency key; tool calls derive theirs from it. */
  idempotencyKey: string;
  /** The conversation before the first call (system and user messages). */
  messages: ChatMessage[];
  /** Model and parameters of every call (its `messages` are replaced). */
  base: ChatRequest;
  /** Gateway calls for the run, cancelled by `signal`. */
  models: (signal: AbortSignal) => RunModels;
  /** One line on each delegate, for the model choosing among them. */
  delegateDescriptions?: (agent: string) => string;
  granted: GrantedTools | undefined;
  /** Looks a granted tool up, to know whether it is a non-idempotent effect. */
  resolveTool: (name: string) => Promise<Tool | undefined>;
  builtins: { names: readonly string[]; definitions: ToolDefinition[]; context: BuiltinContext };
  delegate: Delegate | undefined;
  journal: StepJournal;
  /** Validates a final answer: undefined when it is fine, else the issues. */
  checkOutput?: (text: string) => { value: unknown } | { issues: string[] };
  signal: AbortSignal;
  now: () => number;
  maxResultBytes: number;
}

/** How the loop ended. */
export interface LoopResult {
  output: unknown;
  iterations: number;
  usage: CallUsage;
  /** Journal entries replayed instead of repeated. */
  replayed: number;
}

interface ModelEntry {
  message: ChatMessage;
  usage: CallUsage;
  callId?: string;
}

interface CallEntry {
  callId: string;
  name: string;
  ok: boolean;
  content: string;
  usage?: CallUsage;
  childRunId?: string;
}

const DELEGATE_PREFIX = 'delegate_';

/** Runs the loop to its final answer. @throws BatonError for a bound, a schema violation or a journal mismatch */
export async function runAgentLoop(req: LoopRequest): Promise<LoopResult> {
  const { agent, journal } = req;
  const start = await journal.once(0, 'start', () => ({ at: req.now() }));
  const bounds = new AgentBounds(agent.name, req.stepId, agent.limits, (start.data as { at: number }).at);
  const offered = [
    ...((await req.granted?.definitions()) ?? []),
    ...req.builtins.definitions,
    ...delegateDefinitions(agent, req),
  ];
  const names = modelToolNames(offered.map((t) => t.function.name));
  const tools = offered.map((t) => ({
    ...t,
    function: { ...t.function, name: names.toModel(t.function.name) },
  }));
  const messages = [...req.messages];
  let seq = 1;
  let repaired = false;
  for (;;) {
    bounds.checkBeforeCall(req.now());
    const entry = await journal.once(seq, 'model', () => callModel(req, bounds, messages, tools));
    if (entry.type !== 'model') throw mismatch(req, seq, 'model', entry.type);
    const { message, usage } = entry.data as ModelEntry;
    bounds.countIteration();
    bounds.charge(usage);
    messages.push(message);
    const calls = message.tool_calls ?? [];
    if (calls.length === 0) {
      const text = typeof message.content === 'string' ? message.content : '';
      const checked = req.checkOutput?.(text) ?? { value: text };
      if ('value' in checked) {
        return {
          output: checked.value,
          iterations: bounds.iterations,
          usage: bounds.spent,
          replayed: journal.replayed,
        };
      }
      if (repaired) {
        throw new BatonError(
          'OUTPUT_SCHEMA_VIOLATION',
          `agent ${agent.name} (step ${req.stepId}): the final answer does not match its output schema, even after a repair round: ${checked.issues.join('; ')}`,
          {
            hint: 'Simplify the schema, improve the instructions, or route to a stronger model',
            details: { agent: agent.name, step: req.stepId, issues: checked.issues },
          },
        );
      }
      repaired = true;
      messages.push({
        role: 'user',
        content: `Your final answer does not match the required JSON schema:\n${checked.issues.map((i) => `- ${i}`).join('\n')}\nAnswer again with only JSON that matches the schema.`,
      });
      seq += 1;
      continue;
    }
    // The answer asks for more work: a budget used up by this very call stops it here.
    bounds.checkBudget();
    const results = await Promise.all(
      calls.map((call, j) => runCall(req, bounds, names, call, j, seq + 1 + 2 * j)),
    );
    for (const [j, result] of results.entries()) {
      bounds.charge(result.usage);
      messages.push({ role: 'tool', tool_call_id: calls[j]?.id ?? result.callId, content: result.content });
    }
    seq += 1 + 2 * calls.length;
  }
}

async function callModel(
  req: LoopRequest,
  bounds: AgentBounds,
  messages: ChatMessage[],
  tools: ToolDefinition[],
): Promise<ModelEntry> {
  const signal = withDeadline(req.signal, bounds.deadline, req.now);
  try {
    const left = bounds.remaining(req.now()).tokens;
    const maxTokens = typeof req.base.max_tokens === 'number' ? req.base.max_tokens : undefined;
    const { response, meta } = await req.models(signal).chat({
      ...req.base,
      // No answer may be longer than what is left of the token budget.
      ...(left !== undefined && (maxTokens === undefined || left < maxTokens)
        ? { max_tokens: Math.max(1, left) }
        : {}),
      messages,
      ...(tools.length ? { tools } : {}),
      metadata: {
        ...(req.base.metadata ?? {}),
        'baton.agent': req.agent.name,
        'baton.iteration': String(bounds.iterations + 1),
      },
    });
    const choice = response.choices[0]?.message ?? { role: 'assistant', content: '' };
    const message: ChatMessage = {
      role: 'assistant',
      content: choice.content ?? null,
      ...(choice.tool_calls?.length ? { tool_calls: choice.tool_calls } : {}),
    };
    return {
      message,
      usage: {
        inputTokens: meta.usage?.inputTokens ?? 0,
        outputTokens: meta.usage?.outputTokens ?? 0,
        costUsd: meta.costUsd,
      },
      callId: meta.id,
    };
  } catch (err) {
    // A call cut by the agent's own deadline is the agent's timeout, not a provider failure.
    bounds.checkDeadline(req.now());
    if (isRetryable(err)) {
      // The gateway already retried and fell back. A retry of the step resumes from the journal, so
      // the engine may retry it: nothing done so far is repeated.
      throw Object.assign(new Error((err as Error).message, { cause: err }), {
        code: (err as BatonError).code,
      });
    }
    throw err;
  }
}

async function runCall(
  req: LoopRequest,
  bounds: AgentBounds,
  names: ModelToolNames,
  call: ToolCall,
  j: number,
  startSeq: number,
): Promise<CallEntry> {
  const resultSeq = startSeq + 1;
  const done = req.journal.get(resultSeq);
  if (done) return done.data as CallEntry;
  const record = async (entry: CallEntry): Promise<CallEntry> => {
    const stored = await req.journal.record(resultSeq, entry.childRunId ? 'delegation' : 'tool', entry);
    return stored.data as CallEntry;
  };
  const name = names.fromModel(call.function?.name ?? '');
  const callId = call.id;
  const base = { callId, name };
  if (j >= req.agent.limits.maxToolCallsPerIteration) {
    return record({
      ...base,
      ok: false,
      content: `Error TOOL_REFUSED: at most ${req.agent.limits.maxToolCallsPerIteration} tool calls per turn; this one was not run. Ask for fewer at a time.`,
    });
  }
  const args = call.function?.arguments ?? '{}';
  const builtin = await callBuiltin(req.builtins.names, name, args, req.builtins.context);
  if (builtin) return record({ ...base, ...builtin });
  const key = `${req.idempotencyKey}:${startSeq}`;
  if (name.startsWith(DELEGATE_PREFIX) && req.agent.delegates.includes(name.slice(DELEGATE_PREFIX.length))) {
    return record({ ...base, ...(await delegateCall(req, bounds, name, args, key)) });
  }
  if (!req.granted) {
    return record({
      ...base,
      ok: false,
      content: `Error TOOL_NOT_GRANTED: ${name} is not granted to this agent`,
    });
  }
  const granted = req.granted.names.includes(name);
  const tool = granted ? await req.resolveTool(name) : undefined;
  if (tool?.effect && !tool.idempotent) {
    if (req.journal.has(startSeq)) {
      return record({
        ...base,
        ok: false,
        content: `Error TOOL_OUTCOME_UNKNOWN: the worker running this call of ${name} stopped before it reported, so it may or may not have taken effect. It is not repeated automatically; check its effect before calling it again.`,
      });
    }
    await req.journal.record(startSeq, 'tool-started', base);
  }
  // The grant view refuses (and audits) a tool outside the grant without looking it up.
  const outcome = await req.granted.call(name, args, {
    runId: req.runId,
    stepId: req.stepId,
    tenant: req.tenant,
    callId,
    idempotencyKey: key,
    signal: withDeadline(req.signal, bounds.deadline, req.now),
  });
  return record({ ...base, ok: outcome.ok, content: outcome.content });
}

async function delegateCall(
  req: LoopRequest,
  bounds: AgentBounds,
  name: string,
  rawArguments: string,
  key: string,
): Promise<Omit<CallEntry, 'callId' | 'name'>> {
  let task: unknown;
  try {
    task = (JSON.parse(rawArguments || '{}') as { task?: unknown }).task;
  } catch {
    task = undefined;
  }
  if (typeof task !== 'string' || task.trim() === '') {
    return { ok: false, content: 'Error TOOL_INPUT_INVALID: task: a non-empty string is required' };
  }
  if (!req.delegate) {
    return { ok: false, content: `Error TOOL_FAILED: delegation is not available to ${req.agent.name}` };
  }
  const result = await req.delegate({
    agent: name.slice(DELEGATE_PREFIX.length),
    task,
    key,
    budget: bounds.remaining(req.now()),
    signal: req.signal,
  });
  return {
    ok: result.ok,
    content: capContent(result.content, req.maxResultBytes).content,
    usage: result.usage,
    childRunId: result.childRunId,
  };
}

function delegateDefinitions(agent: ResolvedAgent, req: LoopRequest): ToolDefinition[] {
  if (!req.delegate) return [];
  return agent.delegates.map((name) => ({
    type: 'function',
    function: {
      name: `${DELEGATE_PREFIX}${name}`,
      description:
        `Delegate a task to the ${name} agent and get its answer. ${req.delegateDescriptions?.(name) ?? ''}`.trim(),
      parameters: {
        type: 'object',
        properties: { task: { type: 'string', description: 'What the agent should do, self-contained' } },
        required: ['task'],
        additionalProperties: false,
      },
    },
  }));
}

function isRetryable(err: unknown): boolean {
  return err instanceof BatonError && (err as BatonError & { retryable?: unknown }).retryable === true;
}

/** The step's signal, also aborted at the agent's deadline. */
function withDeadline(signal: AbortSignal, deadline: number | undefined, now: () => number): AbortSignal {
  if (deadline === undefined) return signal;
  return AbortSignal.any([signal, AbortSignal.timeout(Math.max(1, deadline - now()))]);
}

function mismatch(req: LoopRequest, seq: number, expected: string, found: string): BatonError {
  return new BatonError(
    'AGENT_JOURNAL_MISMATCH',
    `agent ${req.agent.name} (step ${req.stepId} of run ${req.runId}): journal entry ${seq} is a ${found}, where the loop expects a ${expected}`,
    {
      hint: 'The agent step changed under a running run; let the run finish on the old code, or cancel and rerun it',
      details: { run: req.runId, step: req.stepId, seq, expected, found },
    },
  );
}
