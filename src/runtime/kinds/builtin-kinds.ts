/** The built-in step kinds: `fn`, `branch`, `map`, `wait`, `approval`, `workflow`. */
import type {
  ApprovalConfig,
  BranchConfig,
  ChildConfig,
  FnConfig,
  MapConfig,
  WaitConfig,
} from '../../core/definition.js';
import { BatonError, NonRetryableError } from '../../core/errors.js';
import type { StepKind } from './step-kind.js';

const fnKind: StepKind = {
  kind: 'fn',
  async execute(step, ctx) {
    const output = await (step.config as FnConfig).run(ctx);
    return { type: 'succeeded', output };
  },
};

const branchKind: StepKind = {
  kind: 'branch',
  async execute(step, ctx) {
    const config = step.config as BranchConfig;
    const picked = await config.choose(ctx);
    const chosen = Array.isArray(picked) ? picked : [picked];
    const unknown = chosen.filter((id) => !config.targets.includes(id));
    if (unknown.length > 0) {
      throw new NonRetryableError(
        `branch "${step.id}" chose ${unknown.map((u) => `"${u}"`).join(', ')}, which ${unknown.length > 1 ? 'are' : 'is'} not among the steps that need it (${config.targets.join(', ') || 'none'})`,
        { code: 'INVALID_ARGUMENT' },
      );
    }
    return { type: 'branched', output: chosen, chosen };
  },
};

const mapKind: StepKind = {
  kind: 'map',
  node(step) {
    const c = step.config as MapConfig;
    return {
      map: { concurrency: Math.max(1, c.concurrency), onItemFailure: c.onItemFailure, maxItems: c.maxItems },
    };
  },
  async execute(step, ctx) {
    const items = await (step.config as MapConfig).items(ctx);
    if (!Array.isArray(items)) {
      throw new NonRetryableError(`map step "${step.id}" needs a list of items, got ${typeof items}`, {
        code: 'INVALID_ARGUMENT',
      });
    }
    return { type: 'fanned-out', items };
  },
  async executeItem(step, item, ctx) {
    return (step.config as MapConfig).run(item, ctx);
  },
};

const waitKind: StepKind = {
  kind: 'wait',
  async execute(step, ctx, env) {
    const plan = await (step.config as WaitConfig).plan(ctx);
    const now = env.now();
    if ('sleepMs' in plan)
      return { type: 'suspended', wait: { type: 'sleep', until: Math.ceil(now + plan.sleepMs) } };
    if ('until' in plan) {
      const until =
        plan.until instanceof Date
          ? plan.until.getTime()
          : typeof plan.until === 'number'
            ? plan.until
            : Date.parse(plan.until);
      if (!Number.isFinite(until)) {
        throw new NonRetryableError(`wait step "${step.id}" got an invalid time: ${String(plan.until)}`, {
          code: 'INVALID_ARGUMENT',
        });
      }
      return { type: 'suspended', wait: { type: 'sleep', until: Math.ceil(until) } };
    }
    if (typeof plan.event !== 'string' || plan.event.length === 0) {
      throw new NonRetryableError(`wait step "${step.id}" needs a non-empty event key`, {
        code: 'INVALID_ARGUMENT',
      });
    }
    return {
      type: 'suspended',
      wait: {
        type: 'event',
        key: plan.event,
        // Events that arrived since the run began count, so a fast sender cannot race the wait.
        since: ctx.run.createdAt,
        ...(plan.timeoutMs === undefined ? {} : { timeoutAt: now + plan.timeoutMs }),
      },
    };
  },
};

const approvalKind: StepKind = {
  kind: 'approval',
  async execute(step, ctx, env) {
    const plan = await (step.config as ApprovalConfig).request(ctx);
    const escalate = plan.escalate;
    if (escalate && (!Number.isFinite(escalate.afterMs) || escalate.afterMs < 0)) {
      throw new NonRetryableError(
        `approval "${step.id}" escalates after ${escalate.afterMs} ms; give a delay of zero or more milliseconds`,
        { code: 'INVALID_ARGUMENT' },
      );
    }
    if (escalate && !escalate.role && !escalate.assignee) {
      throw new NonRetryableError(
        `approval "${step.id}" escalates to nobody; give the escalation a role or an assignee`,
        { code: 'INVALID_ARGUMENT' },
      );
    }
    return {
      type: 'suspended',
      wait: {
        type: 'approval',
        request: {
          prompt: plan.prompt,
          ...(plan.data === undefined ? {} : { data: plan.data }),
          ...(plan.assignee ? { assignee: plan.assignee } : {}),
          ...(plan.role ? { role: plan.role } : {}),
          ...(plan.timeoutMs === undefined ? {} : { timeoutAt: env.now() + plan.timeoutMs }),
          defaultAction: plan.defaultAction ?? 'reject',
          onReject: plan.onReject ?? 'fail',
          ...(escalate
            ? {
                escalation: {
                  at: env.now() + escalate.afterMs,
                  ...(escalate.role ? { role: escalate.role } : {}),
                  ...(escalate.assignee ? { assignee: escalate.assignee } : {}),
                },
              }
            : {}),
        },
      },
    };
  },
};

const childKind: StepKind = {
  kind: 'workflow',
  async execute(step, ctx, env) {
    const config = step.config as ChildConfig;
    const input = await config.input(ctx);
    const def = await env.childDefinition(config.workflow, config.version);
    if (!def) {
      throw new BatonError(
        'WORKFLOW_NOT_FOUND',
        `child workflow "${config.version ?? config.workflow}" is not registered`,
        {
          hint: 'Register it before starting runs that use it',
        },
      );
    }
    const parsed = def.input.safeParse(input);
    if (!parsed.success) {
      throw new BatonError(
        'INVALID_INPUT',
        `input for child workflow "${config.workflow}" does not match its schema`,
        {
          details: { issues: parsed.error.issues },
        },
      );
    }
    return {
      type: 'suspended',
      wait: {
        type: 'child',
        workflow: config.workflow,
        ...(config.version ? { version: config.version } : {}),
        input: parsed.data,
        maxDepth: config.maxDepth,
      },
    };
  },
};

/** The six kinds of this release. */
export const BUILTIN_KINDS: readonly StepKind[] = [
  fnKind,
  branchKind,
  mapKind,
  waitKind,
  approvalKind,
  childKind,
];
