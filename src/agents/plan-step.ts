/**
 * The `plan` step kind: a model proposes a sub-graph built only from the step templates the workflow
 * allows; the proposal is checked (shape, allow-list, size and depth, then the spec validator), gets
 * one repair round when it is wrong, and is registered as a spec workflow of its own. The step then
 * runs it as a child run, so the step's output is the child's output.
 *
 * The proposal is recorded twice over: the registered version holds the full spec (content-hashed,
 * so the same plan registers once), and the step's history records the child run it started. A
 * retry of the step before the child starts asks the model again.
 * @module
 */
import { createHash } from 'node:crypto';
import type { StepContext } from '../core/definition.js';
import { BatonError, isBatonError } from '../core/errors.js';
import type { SpecIssue } from '../core/graph.js';
import type { WorkflowVersion } from '../core/types.js';
import type { Gateway } from '../gateway/gateway.js';
import type { ChatMessage, ChatRequest } from '../gateway/types.js';
import type { StepKind } from '../runtime/kinds/step-kind.js';
import type { SpecKindRegistry } from '../spec/kind.js';
import { specKinds } from '../spec/registry.js';
import { validateSpec } from '../spec/validate.js';
import type { ToolRegistry } from '../tools/tool-registry.js';
import { planSystemMessage, planUserMessage, proposalFormat, repairMessage } from './plan/plan-prompt.js';
import {
  checkAllowed,
  checkSize,
  type PlanAllow,
  type PlanIssue,
  type PlanProposal,
  readProposal,
} from './plan/proposal.js';
import type { PromptLibrary, RenderedPrompt } from './prompts/index.js';
import { runForGateway } from './run-budget.js';

export type { PlanAllow, PlanIssue, PlanProposal } from './plan/proposal.js';

/** How a `plan` step asks for its plan. */
export interface PlanStepOptions<C extends StepContext = StepContext> {
  /** What the plan must achieve, in words. */
  goal: (ctx: C) => string | Promise<string>;
  /** The templates and limits a proposal must keep to. */
  allow: PlanAllow;
  /** A route alias or `provider/model` for the planning call; overrides the prompt's. */
  model?: string;
  /**
   * A prompt file for the planning call, rendered with the variables `goal`, `input` and `templates`
   * (the allowed kinds, comma-separated); the templates and limits are always described in a system
   * message before it.
   */
  prompt?: { name: string; version?: number };
  /** The plan's input (`$input` in its expressions). @defaultValue the run's input */
  input?: (ctx: C) => unknown;
  /** The run's budget for model calls, in USD. */
  budgetUsd?: number;
  /** Most nested runs, counting the plan's child run (as `workflow` steps' `maxDepth`). @defaultValue 5 */
  maxNesting?: number;
}

/** What a `plan` step carries in its definition. */
export interface PlanStepConfig {
  options: PlanStepOptions;
}

/** A proposal as registered: a complete workflow spec (a type, so that it is a `Record` for `register`). */
export type PlanSpec = {
  name: string;
  version: string;
  input: Record<string, never>;
  steps: PlanProposal['steps'];
  output?: string;
};

/**
 * The `config` and `describe` of a `plan` step, for `workflow(...).custom(id, 'plan', plan({...}))`.
 * @throws BatonError `INVALID_ARGUMENT` for an empty `allow.kinds` or limits below 1.
 * @example
 * .custom('research', 'plan', plan({
 *   goal: (ctx) => `Answer: ${ctx.input.question}`,
 *   allow: { kinds: ['llm', 'tool'], tools: ['search'], maxSteps: 5, maxDepth: 3 },
 *   model: 'smart',
 * }))
 */
export function plan<C extends StepContext = StepContext>(
  options: PlanStepOptions<C>,
): { config: PlanStepConfig; describe: Record<string, unknown> } {
  const { allow } = options;
  if (allow.kinds.length === 0 || !(allow.maxSteps >= 1) || !(allow.maxDepth >= 1)) {
    throw new BatonError('INVALID_ARGUMENT', 'a plan step needs allowed kinds and limits of at least 1', {
      hint: 'Set allow.kinds, allow.maxSteps and allow.maxDepth',
      details: { allow },
    });
  }
  return {
    config: { options: options as PlanStepOptions },
    describe: {
      allow: structuredClone(allow),
      ...(options.prompt ? { prompt: options.prompt } : {}),
      ...(options.model ? { model: options.model } : {}),
      ...(options.budgetUsd === undefined ? {} : { budgetUsd: options.budgetUsd }),
    },
  };
}

/** What the `plan` kind needs. */
export interface PlanKindOptions {
  gateway: Gateway;
  /** Registers a proposal: pass `(spec) => baton.register(spec)`. */
  register: (spec: PlanSpec) => Promise<WorkflowVersion>;
  /** Where prompt files are read; required by steps that name a prompt. */
  prompts?: PromptLibrary;
  /** Describes the allowed tools to the model (their descriptions and input schemas). */
  tools?: ToolRegistry;
  /**
   * The spec kinds proposals are validated with; the ones `Baton.register` compiles with.
   * @defaultValue the default registry ({@link specKinds})
   */
  kinds?: SpecKindRegistry;
}

/** The `plan` step kind. Pass it to `Baton.open({ kinds })` or `baton.defineKind`. */
export function planKind(options: PlanKindOptions): StepKind {
  const kinds = options.kinds ?? specKinds;
  return {
    kind: 'plan',
    async execute(step, ctx) {
      const config = (step.config as PlanStepConfig).options;
      const missing = config.allow.kinds.filter((kind) => !kinds.get(kind));
      if (missing.length > 0) {
        // Checked before the call: the model would be offered kinds no proposal could pass with.
        throw new BatonError(
          'UNKNOWN_STEP_KIND',
          `plan step ${step.id} allows ${missing.join(', ')}, which ${missing.length === 1 ? 'is not a spec kind' : 'are not spec kinds'} of this engine`,
          {
            hint: 'Call registerAgentSpecKinds() (for llm and tool) or register the kind, or remove it from allow.kinds',
            details: { step: step.id, kinds: missing },
          },
        );
      }
      const name = `${ctx.run.workflow}.${step.id}.plan`;
      const input = config.input ? await config.input(ctx) : ctx.input;
      const goal = await config.goal(ctx);
      const rendered = config.prompt
        ? await render(options.prompts, config, step.id, goal, input)
        : undefined;
      const model = config.model ?? rendered?.model;
      if (!model) {
        throw new BatonError('INVALID_SPEC', `plan step ${step.id} names no model`, {
          hint: 'Set model, or use a prompt file whose front matter names one',
        });
      }
      const system = await planSystemMessage({
        allow: config.allow,
        model,
        kinds,
        ...(options.tools ? { tools: options.tools } : {}),
      });
      const messages: ChatMessage[] = rendered
        ? [system, ...rendered.messages]
        : [system, planUserMessage(goal, input)];
      const models = options.gateway.forRun(runForGateway(ctx.run, config.budgetUsd), { signal: ctx.signal });
      const ask = async (conversation: ChatMessage[], round: number): Promise<string> => {
        const request: ChatRequest = {
          ...rendered?.parameters,
          model,
          messages: conversation,
          response_format: proposalFormat(config.allow),
          metadata: {
            'baton.step': step.id,
            'baton.plan': name,
            'baton.plan_round': String(round),
            'baton.model': model,
            ...(rendered
              ? { 'baton.prompt': `${rendered.name}@${rendered.version}`, 'baton.prompt_hash': rendered.hash }
              : {}),
          },
        };
        const answer = await models.chat(request);
        return answer.response.choices[0]?.message.content ?? '';
      };
      const review = async (text: string) =>
        reviewProposal(text, name, config.allow, kinds, options.register);

      const firstText = await ask(messages, 1);
      let result = await review(firstText);
      if (!result.version) {
        // One repair round: the model sees its proposal and every issue at its path.
        const secondText = await ask(
          [...messages, { role: 'assistant', content: firstText }, repairMessage(result.issues)],
          2,
        );
        result = await review(secondText);
      }
      if (!result.version) throw planInvalid(step.id, name, result.issues);
      return {
        type: 'suspended',
        wait: {
          type: 'child',
          workflow: result.version.workflow,
          version: result.version.id,
          input,
          maxDepth: config.maxNesting ?? 5,
        },
      };
    },
  };
}

/** Checks a proposal and registers it when valid. */
async function reviewProposal(
  text: string,
  name: string,
  allow: PlanAllow,
  kinds: SpecKindRegistry,
  register: PlanKindOptions['register'],
): Promise<{ version?: WorkflowVersion; issues: PlanIssue[] }> {
  const { proposal, issues } = readProposal(text);
  if (!proposal) return { issues };
  issues.push(...checkAllowed(proposal, allow), ...checkSize(proposal, allow));
  const spec = planSpec(name, proposal);
  const validation = validateSpec(spec, { kinds });
  if (!validation.ok) issues.push(...validation.issues.filter((i) => !repeats(issues, i)));
  // Nothing the allow-list refuses reaches registration, so no refused tool or function can ever run.
  if (issues.length > 0) return { issues };
  try {
    return { version: await register(spec), issues };
  } catch (err) {
    if (isBatonError(err) && err.code === 'INVALID_SPEC') {
      const found = (err.details as { issues?: SpecIssue[] } | undefined)?.issues;
      return { issues: found ?? [{ path: '', code: 'INVALID_SPEC', message: err.message }] };
    }
    throw err;
  }
}

/** The full spec of a proposal; its version label is the proposal's content hash. */
export function planSpec(name: string, proposal: PlanProposal): PlanSpec {
  const body = {
    steps: proposal.steps,
    ...(proposal.output === undefined ? {} : { output: proposal.output }),
  };
  const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 12);
  return { name, version: hash, input: {}, ...body };
}

/** The spec validator also reports unknown kinds, which the allow-list has already named. */
function repeats(issues: readonly PlanIssue[], candidate: SpecIssue): boolean {
  return issues.some((i) => i.path === candidate.path);
}

function planInvalid(stepId: string, name: string, issues: readonly PlanIssue[]): BatonError {
  const listed = issues.map((i) => `${i.path || '(plan)'}: ${i.message}`).join('; ');
  return new BatonError(
    'PLAN_INVALID',
    `plan step ${stepId}: the proposed plan is invalid even after a repair round (${issues.length} issue${issues.length === 1 ? '' : 's'}): ${listed}`,
    {
      hint: 'Widen the allow-list or limits, make the goal more precise, or route to a stronger model',
      details: { step: stepId, plan: name, issues },
    },
  );
}

async function render(
  prompts: PromptLibrary | undefined,
  config: PlanStepOptions,
  stepId: string,
  goal: string,
  input: unknown,
): Promise<RenderedPrompt> {
  const prompt = config.prompt as { name: string; version?: number };
  if (!prompts) {
    throw new BatonError(
      'INVALID_SPEC',
      `plan step ${stepId} names prompt ${prompt.name}, but the plan kind has no prompt library`,
      { hint: 'Pass prompts: await PromptLibrary.open(dir) to planKind' },
    );
  }
  const templates = config.allow.kinds.join(', ');
  return prompts.render(
    prompt.name,
    { goal, input, templates },
    prompt.version === undefined ? {} : { version: prompt.version },
  );
}
