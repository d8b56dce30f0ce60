/**
 * The `agent` step kind: runs a registered agent's loop (see `agent-loop.ts`) for a step, with the
 * run's gateway account, the agent's grant, its memory and its delegates. Each delegate is another
 * agent run as a child run of the workflow `agent.<name>`, whose bounds are the smaller of its own and
 * what is left of the delegating agent's: delegation draws on the parent's budget, never beside it.
 * @module
 */
import { z } from 'zod';
import { workflow } from '../../core/builder.js';
import type { StepContext, WorkflowDefinition } from '../../core/definition.js';
import { BatonError } from '../../core/errors.js';
import type { Run } from '../../core/types.js';
import type { Gateway } from '../../gateway/gateway.js';
import type { ChatMessage, ChatRequest } from '../../gateway/types.js';
import type { StepKind } from '../../runtime/kinds/step-kind.js';
import { childRunTrace, traceAgent } from '../../telemetry/tracing/call-spans.js';
import type { ToolRegistry } from '../../tools/tool-registry.js';
import type { PromptLibrary } from '../prompts/index.js';
import { toChatRequest } from '../prompts/index.js';
import { requestFingerprint } from '../request-fingerprint.js';
import { runForGateway } from '../run-budget.js';
import type { AgentStore, JournalEntry } from '../state/port.js';
import { type Delegate, type DelegationResult, type LoopRequest, runAgentLoop } from './agent-loop.js';
import { AgentMemory } from './agent-memory.js';
import { addUsage, type CallUsage, NO_USAGE } from './bounds.js';
import { builtinDefinitions, builtinNames } from './builtin-tools.js';
import {
  type AgentLimits,
  type AgentRegistry,
  agentWorkflowName,
  type ResolvedAgent,
} from './define-agent.js';
import { replayAgentStore } from './replay-agent-store.js';
import { StepJournal } from './step-journal.js';

/** What an `agent` step runs. */
export interface AgentStepOptions<C extends StepContext = StepContext> {
  /** A registered agent's name. */
  agent: string;
  /** The task, as the user message (and the prompt file's `task` variable). */
  task: (ctx: C) => string | Promise<string>;
  /** More data for the agent: the prompt file's `input` variable, or appended to the task as JSON. */
  input?: (ctx: C) => unknown | Promise<unknown>;
  /** Tighter bounds for this step; each bound is the smaller of these and the agent's. */
  limits?: AgentLimits | ((ctx: C) => AgentLimits | Promise<AgentLimits>);
  /**
   * Narrows long-term memory for this step: metadata every memory it writes carries and every recall
   * filters on (`{ customer: ctx.input.customer }`), so one customer's notes never reach another's.
   */
  memoryScope?: (ctx: C) => Record<string, unknown> | Promise<Record<string, unknown>>;
}

/** What an `agent` step carries in its definition. */
export interface AgentStepConfig {
  options: AgentStepOptions;
}

/**
 * The `config` and `describe` of an `agent` step, for `workflow(...).custom(id, 'agent', agent({...}))`.
 * @example
 * .custom('research', 'agent', agent({ agent: 'researcher', task: (ctx) => `Research ${ctx.input.topic}` }))
 */
export function agent<C extends StepContext = StepContext>(
  options: AgentStepOptions<C>,
): { config: AgentStepConfig; describe: Record<string, unknown> } {
  return {
    config: { options: options as AgentStepOptions },
    describe: {
      agent: options.agent,
      ...(options.limits && typeof options.limits !== 'function' ? { limits: options.limits } : {}),
    },
  };
}

/** How delegations start and await child runs: `Baton` has both methods. */
export interface AgentRuns {
  submit(
    workflow: string,
    input: unknown,
    options: { idempotencyKey?: string; tenant?: string; tags?: string[]; traceId?: string },
  ): Promise<Run>;
  waitForRun(runId: string, options?: { timeoutMs?: number }): Promise<Run>;
  /** With `cancel`, a delegation whose parent run ended (cancelled, failed) is cancelled too. */
  getRun?(runId: string): Promise<Run>;
  cancel?(runId: string, reason?: string, by?: string): Promise<Run>;
}

/** What the `agent` kind needs. */
export interface AgentKindOptions {
  /** The gateway (a replay passes its recording instead: only `forRun` is used). */
  gateway: Pick<Gateway, 'forRun'>;
  store: AgentStore;
  agents: AgentRegistry;
  /** The tool hub; agents are granted tools from it. */
  tools?: ToolRegistry;
  /** Where agents' prompt files are read. */
  prompts?: PromptLibrary;
  /** Needed for delegation (pass the `Baton`). */
  runs?: AgentRuns;
  /** @defaultValue Date.now */
  now?: () => number;
}

/** The `agent` step kind. Pass it to `Baton.open({ kinds })` or `baton.defineKind`. */
export function agentKind(options: AgentKindOptions): StepKind {
  const now = options.now ?? Date.now;
  return {
    kind: 'agent',
    // Replayed from its journal: no tool and no delegation reachable, nothing written.
    replay: (sources) => {
      const { tools: _tools, runs: _runs, ...rest } = options;
      return agentKind({
        ...rest,
        gateway: sources.models([]),
        store: replayAgentStore(options.store, sources.now),
        now: sources.now,
      });
    },
    async execute(step, ctx) {
      const config = (step.config as AgentStepConfig).options;
      const registered = options.agents.get(config.agent);
      const stepLimits = typeof config.limits === 'function' ? await config.limits(ctx) : config.limits;
      const agentDef: ResolvedAgent = { ...registered, limits: tighter(registered.limits, stepLimits) };
      const task = await config.task(ctx);
      const input = config.input ? await config.input(ctx) : undefined;
      const start = await startingRequest(options, agentDef, task, input, step.id);
      const granted = options.tools?.forGrant(agentDef.tools);
      const models = (signal: AbortSignal) =>
        options.gateway.forRun(runForGateway(ctx.run, undefined), { signal });
      const memoryModel = agentDef.memory?.embeddingModel;
      const scope = config.memoryScope ? await config.memoryScope(ctx) : undefined;
      const result = await tracedLoop({
        agent: agentDef,
        stepId: step.id,
        runId: ctx.run.id,
        tenant: ctx.run.tenant,
        idempotencyKey: ctx.idempotencyKey,
        messages: start.messages,
        base: start.base,
        models,
        granted,
        resolveTool: async (name) => options.tools?.resolve(name),
        builtins: {
          names: builtinNames(agentDef),
          definitions: builtinDefinitions(builtinNames(agentDef)),
          context: {
            store: options.store,
            ...(agentDef.memory?.longTerm && memoryModel
              ? {
                  memory: new AgentMemory({
                    store: options.store,
                    models: models(ctx.signal),
                    embeddingModel: memoryModel,
                    tenant: ctx.run.tenant,
                    agent: agentDef.name,
                  }),
                }
              : {}),
            runId: ctx.run.id,
            stepId: step.id,
            maxResultBytes: granted?.maxResultBytes ?? 16_384,
            ...(scope ? { scope } : {}),
          },
        },
        delegate: options.runs ? delegator(options, options.runs, ctx.run) : undefined,
        delegateDescriptions: (name) =>
          options.agents.has(name) ? options.agents.get(name).description : '',
        journal: await StepJournal.open(options.store, { runId: ctx.run.id, stepId: step.id }),
        ...(agentDef.output ? { checkOutput: outputCheck(agentDef) } : {}),
        signal: ctx.signal,
        now,
        maxResultBytes: granted?.maxResultBytes ?? 16_384,
      });
      const request = { messages: start.messages, base: start.base, tools: agentDef.tools };
      const provenance = {
        request: requestFingerprint(request),
        ...(start.base.metadata?.['baton.prompt'] ? { prompt: start.base.metadata['baton.prompt'] } : {}),
      };
      return { type: 'succeeded', output: result.output, provenance };
    },
  };
}

/** The loop in its `invoke_agent` span when the step is traced. */
function tracedLoop(req: LoopRequest) {
  return traceAgent(req.agent.name, () => runAgentLoop(req));
}

/** The workflow `agent.<name>` that runs one agent alone: what a delegation starts as a child run. */
export function agentWorkflow(agentDef: ResolvedAgent): WorkflowDefinition {
  const input = z.object({
    task: z.string().min(1),
    input: z.unknown().optional(),
    budget: z
      .object({
        costUsd: z.number().nonnegative().optional(),
        tokens: z.number().int().nonnegative().optional(),
        timeoutMs: z.number().int().nonnegative().optional(),
      })
      .optional(),
  });
  type Input = z.output<typeof input>;
  return workflow({ name: agentWorkflowName(agentDef.name), version: '1', input })
    .custom('agent', 'agent', {
      // The loop resumes from its journal; a retry of the step is a resume, never a repeat.
      retry: { maxAttempts: 3 },
      ...agent<StepContext<Input>>({
        agent: agentDef.name,
        task: (ctx) => ctx.input.task,
        input: (ctx) => ctx.input.input,
        limits: (ctx) => budgetLimits(ctx.input.budget),
      }),
    })
    .output(({ steps }) => steps.agent);
}

/** The workflows of every registered agent, to register with the engine so agents can be delegated to. */
export function agentWorkflows(agents: AgentRegistry): WorkflowDefinition[] {
  return agents.list().map(agentWorkflow);
}

/** Tokens and dollars an agent step spent, delegations included, from its journal. */
export function journalUsage(entries: readonly JournalEntry[]): CallUsage {
  let usage = NO_USAGE;
  for (const entry of entries) usage = addUsage(usage, (entry.data as { usage?: CallUsage } | null)?.usage);
  return usage;
}

function delegator(options: AgentKindOptions, runs: AgentRuns, parent: StepContext['run']): Delegate {
  return async ({ agent: name, task, key, budget, signal }) => {
    if (budget.costUsd === 0 || budget.tokens === 0 || budget.timeoutMs === 0) {
      return refusedDelegation(name, 'the delegating agent has no budget left');
    }
    // The idempotency key makes a replayed delegation find the child run it started before.
    const trace = childRunTrace(parent);
    const child = await runs.submit(
      agentWorkflowName(name),
      { task, budget },
      {
        idempotencyKey: key,
        tenant: parent.tenant,
        tags: [`parent-run:${parent.id}`, ...(trace.tags ?? [])],
        ...(trace.traceId ? { traceId: trace.traceId } : {}),
      },
    );
    let finished: Run;
    try {
      finished = await untilAborted(
        runs.waitForRun(child.id, { timeoutMs: (budget.timeoutMs ?? 24 * 3_600_000) + 5_000 }),
        signal,
      );
    } catch (err) {
      await cancelOrphan(runs, parent.id, child.id);
      throw err;
    }
    const usage = journalUsage(await options.store.readJournal({ runId: child.id, stepId: 'agent' }));
    if (finished.status === 'succeeded') {
      const out = finished.output;
      return {
        ok: true,
        content: typeof out === 'string' ? out : JSON.stringify(out),
        childRunId: child.id,
        usage,
      };
    }
    return {
      ok: false,
      content:
        `Error ${finished.error?.code ?? 'CHILD_RUN_FAILED'}: the ${name} agent (run ${child.id}) ${finished.status}: ${finished.error?.message ?? ''}`.trim(),
      childRunId: child.id,
      usage,
    };
  };
}

/**
 * The step stopped while its delegate ran. A lost lease and a cancelled run look alike from here, so
 * the parent's status decides: a parent that ended takes its delegate with it; a parent still going
 * (taken over by another worker) keeps it, and the new owner re-attaches to it.
 */
async function cancelOrphan(runs: AgentRuns, parentId: string, childId: string): Promise<void> {
  if (!runs.getRun || !runs.cancel) return;
  try {
    const parent = await runs.getRun(parentId);
    if (['cancelled', 'failed', 'succeeded'].includes(parent.status)) {
      await runs.cancel(childId, `its parent run ${parentId} ${parent.status}`, 'baton');
    }
  } catch {
    // The child finished meanwhile, or the store is unreachable: its own bounds end it.
  }
}

function refusedDelegation(name: string, why: string): DelegationResult {
  return {
    ok: false,
    content: `Error BUDGET_EXCEEDED: not delegated to ${name}: ${why}`,
    childRunId: '',
    usage: NO_USAGE,
  };
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function budgetLimits(
  budget: { costUsd?: number; tokens?: number; timeoutMs?: number } | undefined,
): AgentLimits {
  return {
    ...(budget?.costUsd === undefined ? {} : { maxCostUsd: budget.costUsd }),
    ...(budget?.tokens === undefined ? {} : { maxTokens: budget.tokens }),
    ...(budget?.timeoutMs === undefined ? {} : { timeoutMs: budget.timeoutMs }),
  };
}

/** Each bound of `a`, tightened by `b`'s. */
function tighter(a: ResolvedAgent['limits'], b: AgentLimits | undefined): ResolvedAgent['limits'] {
  if (!b) return a;
  const out: ResolvedAgent['limits'] = { ...a };
  for (const key of Object.keys(b) as (keyof AgentLimits)[]) {
    const value = b[key];
    if (value === undefined) continue;
    const current = out[key];
    // A bound of 0 needs no special case: the loop checks `spent >= limit` first and stops at once.
    (out as unknown as Record<string, number>)[key] =
      current === undefined ? value : Math.min(current, value);
  }
  return out;
}

async function startingRequest(
  options: AgentKindOptions,
  agentDef: ResolvedAgent,
  task: string,
  input: unknown,
  stepId: string,
): Promise<{ messages: ChatMessage[]; base: ChatRequest }> {
  const responseFormat = agentDef.outputSchema
    ? {
        type: 'json_schema' as const,
        json_schema: { name: 'answer', schema: agentDef.outputSchema, strict: true },
      }
    : undefined;
  const metadata: Record<string, string> = { 'baton.step': stepId };
  let messages: ChatMessage[];
  let base: ChatRequest;
  if (agentDef.prompt) {
    if (!options.prompts) {
      throw new BatonError(
        'INVALID_SPEC',
        `agent ${agentDef.name} names prompt ${agentDef.prompt.name}, but the agent kind has no prompt library`,
        {
          hint: 'Pass prompts: await PromptLibrary.open(dir) to agentKind',
        },
      );
    }
    const rendered = await options.prompts.render(
      agentDef.prompt.name,
      { task, input },
      agentDef.prompt.version === undefined ? {} : { version: agentDef.prompt.version },
    );
    base = toChatRequest(rendered);
    messages = base.messages;
    metadata['baton.prompt'] = `${rendered.name}@${rendered.version}`;
    metadata['baton.prompt_hash'] = rendered.hash;
  } else {
    const content = input === undefined ? task : `${task}\n\nInput:\n${JSON.stringify(input, null, 2)}`;
    messages = [
      ...(agentDef.instructions ? [{ role: 'system' as const, content: agentDef.instructions }] : []),
      { role: 'user', content },
    ];
    base = { model: '', messages: [] };
  }
  return {
    messages,
    base: {
      ...base,
      ...agentDef.parameters,
      model: agentDef.model ?? base.model,
      ...(base.max_tokens === undefined && agentDef.parameters?.max_tokens === undefined
        ? { max_tokens: agentDef.limits.maxOutputTokens }
        : {}),
      ...(responseFormat ? { response_format: responseFormat } : {}),
      metadata,
    },
  };
}

function outputCheck(agentDef: ResolvedAgent): (text: string) => { value: unknown } | { issues: string[] } {
  const schema = agentDef.output as NonNullable<ResolvedAgent['output']>;
  return (text) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return { issues: [`the answer is not JSON (${(err as Error).message})`] };
    }
    const parsed = schema.safeParse(value);
    return parsed.success
      ? { value: parsed.data }
      : { issues: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`) };
  };
}
