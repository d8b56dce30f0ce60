/**
 * The `tool` step kind: one tool call with its input computed from the run, no model involved. The
 * call goes through the tool hub like an agent's (grant, input validation, timeout, retries only
 * where safe, breaker, audit); the step's grant is the one tool it names. Its idempotency key is the
 * step's, so an effect retried by the engine is recognisable by the outside world.
 * @module
 */
import type { StepContext } from '../core/definition.js';
import { NonRetryableError } from '../core/errors.js';
import type { StepKind } from '../runtime/kinds/step-kind.js';
import type { ToolRegistry } from '../tools/tool-registry.js';

/** What a `tool` step calls. */
export interface ToolStepOptions<C extends StepContext = StepContext> {
  /** The tool's registered name (`server.tool` for MCP tools). */
  tool: string;
  /** Its input, from the run's input and earlier steps. */
  input: (ctx: C) => unknown | Promise<unknown>;
}

/** What a `tool` step carries in its definition. */
export interface ToolStepConfig {
  options: ToolStepOptions;
}

/**
 * The `config` and `describe` of a `tool` step, for `workflow(...).custom(id, 'tool', toolCall({...}))`.
 * @example
 * .custom('notify', 'tool', { effect: true, ...toolCall({ tool: 'send_email', input: (ctx) => ({ to: ctx.input.email }) }) })
 */
export function toolCall<C extends StepContext = StepContext>(
  options: ToolStepOptions<C>,
): { config: ToolStepConfig; describe: Record<string, unknown> } {
  return { config: { options: options as ToolStepOptions }, describe: { tool: options.tool } };
}

/** The `tool` step kind, bound to a tool registry. Pass it to `Baton.open({ kinds })`. */
export function toolKind(registry: ToolRegistry): StepKind {
  return {
    kind: 'tool',
    async execute(step, ctx) {
      const { tool, input } = (step.config as ToolStepConfig).options;
      const granted = registry.forGrant([tool]);
      const outcome = await granted.call(tool, (await input(ctx)) as object, {
        runId: ctx.run.id,
        stepId: step.id,
        tenant: ctx.run.tenant,
        callId: `${step.id}#${ctx.step.attempt}`,
        idempotencyKey: ctx.idempotencyKey,
        signal: ctx.signal,
      });
      if (outcome.ok) return { type: 'succeeded', output: outcome.value };
      const retryable = outcome.error.code === 'TOOL_TIMEOUT' || outcome.error.code === 'TOOL_FAILED';
      // The hub already retried what was safe to retry; the engine retries a step only for transient
      // failures of a tool with no effect, or an idempotent one.
      if (!retryable || (step.effect === true && step.idempotent !== true)) {
        throw new NonRetryableError(`tool step ${step.id}: ${outcome.error.message}`, {
          code: outcome.error.code,
        });
      }
      // A plain error is one the engine retries with the step's policy.
      throw Object.assign(new Error(`tool step ${step.id}: ${outcome.error.message}`), {
        code: outcome.error.code,
      });
    },
  };
}
