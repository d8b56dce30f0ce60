/**
 * The TypeScript workflow builder: steps with types inferred from zod schemas and from what each step
 * returns. `needs` is checked against the steps declared before, and `ctx.steps` is typed with the
 * outputs of the steps a step needs (at run time it holds every step it depends on, through other needs too).
 * @example
 * const hello = workflow({ name: 'hello', version: '1', input: z.object({ who: z.string() }) })
 *   .step('greet', { run: ({ input }) => `hello ${input.who}` })
 *   .step('shout', { needs: ['greet'], run: ({ steps }) => steps.greet.toUpperCase() })
 *   .build();
 * @module
 */
import { createHash } from 'node:crypto';
import { type ZodType, z } from 'zod';
import type {
  ApprovalPlan,
  BranchConfig,
  ChildConfig,
  CompensationContext,
  FnConfig,
  ItemContext,
  MapConfig,
  StepContext,
  StepDefinition,
  WaitConfig,
  WaitPlan,
  WorkflowDefinition,
} from './definition.js';
import { parseDuration } from './duration.js';
import { BatonError } from './errors.js';
import { checkGraphStructure } from './graph.js';
import type { MapFailurePolicy, RetryPolicy } from './types.js';

type Awaitable<T> = T | Promise<T>;

/** Options every step accepts. */
export interface CommonStepOptions<I, S, N extends readonly string[]> {
  /** Steps that must settle first. */
  needs?: N;
  description?: string;
  /** Skip the step (recorded as skipped) when this returns false. */
  when?: (ctx: StepContext<I, S>) => Awaitable<boolean>;
  /** @defaultValue 3 attempts, 1 s initial delay, ×2, 60 s cap, 50 % jitter */
  retry?: Partial<RetryPolicy>;
  /** Per-attempt timeout (ms or a duration such as `'30s'`); the body's `signal` aborts when it passes. */
  timeout?: number | string;
  /** The step changes the outside world: not retried automatically unless also `idempotent`. */
  effect?: boolean;
  idempotent?: boolean;
  /** Undo the step's effect if the run fails after it succeeded. Runs durably, newest first. */
  compensate?: (ctx: CompensationContext<I, S>) => Awaitable<unknown>;
}

/** The output of an `approval` step. */
export interface ApprovalResult<D = unknown> {
  approved: boolean;
  decision: 'approved' | 'rejected';
  by: string;
  comment: string | null;
  at: string;
  data: D;
  edited: boolean;
}

/** One result of a `map` step that collects failures. */
export type ItemResult<O> = { ok: true; value: O } | { ok: false; error: { code: string; message: string } };

/** The output of a `wait` step that waited for an event is the event's payload; a sleep returns when it woke. */
export type WaitResult = { sleptUntil: string } | unknown;

type Pick2<S, K> = { [P in K & keyof S]: S[P] };

/** Starts a workflow definition. */
export function workflow<IS extends ZodType>(options: {
  name: string;
  /** Your label for this version (`'1.2.0'`); Baton numbers versions itself. */
  version: string;
  input: IS;
  output?: ZodType;
  description?: string;
  /** Wall-clock bound for a whole run (ms or a duration). */
  timeout?: number | string;
}): WorkflowBuilder<z.infer<IS>, Record<never, never>> {
  return new WorkflowBuilder(options, []);
}

/** Accumulates steps; each method returns a builder whose `ctx.steps` type includes the new step. */
export class WorkflowBuilder<I, S extends Record<string, unknown>> {
  constructor(
    private readonly options: {
      name: string;
      version: string;
      input: ZodType;
      output?: ZodType;
      description?: string;
      timeout?: number | string;
    },
    private readonly steps: StepDefinition[],
  ) {}

  private add<Id extends string, O>(
    id: Id,
    kind: string,
    common: CommonStepOptions<I, never, readonly string[]>,
    config: unknown,
    describe: Record<string, unknown>,
  ): WorkflowBuilder<I, S & Record<Id, O>> {
    const step: StepDefinition = {
      id,
      kind,
      needs: [...(common.needs ?? [])],
      config,
      describe: {
        id,
        kind,
        needs: [...(common.needs ?? [])],
        ...describe,
        ...(common.effect ? { effect: true } : {}),
        ...(common.idempotent ? { idempotent: true } : {}),
        ...(common.retry ? { retry: common.retry } : {}),
        ...(common.timeout !== undefined ? { timeout: common.timeout } : {}),
        ...(common.when ? { when: bodyHash(common.when) } : {}),
        ...(common.compensate ? { compensate: bodyHash(common.compensate) } : {}),
      },
      ...(common.description === undefined ? {} : { description: common.description }),
      ...(common.when ? { when: common.when as StepDefinition['when'] } : {}),
      ...(common.retry ? { retry: common.retry } : {}),
      ...(common.timeout !== undefined ? { timeoutMs: parseDuration(common.timeout) } : {}),
      ...(common.effect ? { effect: true } : {}),
      ...(common.idempotent ? { idempotent: true } : {}),
      ...(common.compensate ? { compensate: common.compensate as StepDefinition['compensate'] } : {}),
    };
    return new WorkflowBuilder(this.options, [...this.steps, step]);
  }

  /** A step that runs a function. Its return value (JSON) is the step's output. */
  step<Id extends string, O, const N extends readonly (keyof S & string)[] = []>(
    id: Id,
    options: CommonStepOptions<I, Pick2<S, N[number]>, N> & {
      run: (ctx: StepContext<I, Pick2<S, N[number]>>) => Awaitable<O>;
    },
  ): WorkflowBuilder<I, S & Record<Id, O>> {
    const config: FnConfig = { run: options.run as FnConfig['run'] };
    return this.add(id, 'fn', options as CommonStepOptions<I, never, N>, config, {
      run: bodyHash(options.run),
    });
  }

  /** Chooses which of the steps that need it run; the others are skipped. Its output is the chosen ids. */
  branch<Id extends string, const N extends readonly (keyof S & string)[] = []>(
    id: Id,
    options: CommonStepOptions<I, Pick2<S, N[number]>, N> & {
      choose: (ctx: StepContext<I, Pick2<S, N[number]>>) => Awaitable<string | string[]>;
    },
  ): WorkflowBuilder<I, S & Record<Id, string[]>> {
    const config: BranchConfig = { choose: options.choose as BranchConfig['choose'], targets: [] };
    return this.add(id, 'branch', options as CommonStepOptions<I, never, N>, config, {
      choose: bodyHash(options.choose),
    });
  }

  /** Fans out over a list with bounded concurrency. Output: the items' results, in order. */
  map<
    Id extends string,
    T,
    O,
    P extends MapFailurePolicy = 'fail-fast',
    const N extends readonly (keyof S & string)[] = [],
  >(
    id: Id,
    options: CommonStepOptions<I, Pick2<S, N[number]>, N> & {
      items: (ctx: StepContext<I, Pick2<S, N[number]>>) => Awaitable<T[]>;
      run: (item: T, ctx: ItemContext<I, Pick2<S, N[number]>>) => Awaitable<O>;
      /** Items in flight at once. @defaultValue 10 */
      concurrency?: number;
      /** `fail-fast` fails the step on the first failed item; `collect` records failures and goes on. @defaultValue 'fail-fast' */
      onItemFailure?: P;
      /** Refuse lists longer than this. @defaultValue 10000 */
      maxItems?: number;
    },
  ): WorkflowBuilder<I, S & Record<Id, P extends 'collect' ? ItemResult<O>[] : O[]>> {
    const config: MapConfig = {
      items: options.items as MapConfig['items'],
      run: options.run as MapConfig['run'],
      concurrency: options.concurrency ?? 10,
      onItemFailure: options.onItemFailure ?? 'fail-fast',
      maxItems: options.maxItems ?? 10_000,
    };
    return this.add(id, 'map', options as CommonStepOptions<I, never, N>, config, {
      items: bodyHash(options.items),
      run: bodyHash(options.run),
      concurrency: config.concurrency,
      onItemFailure: config.onItemFailure,
      maxItems: config.maxItems,
    });
  }

  /** Waits durably: for a duration, until a time, or for an event by key (with an optional timeout). */
  wait<Id extends string, const N extends readonly (keyof S & string)[] = []>(
    id: Id,
    options: CommonStepOptions<I, Pick2<S, N[number]>, N> &
      (
        | { for: number | string }
        | { until: (ctx: StepContext<I, Pick2<S, N[number]>>) => Awaitable<Date | number | string> }
        | {
            event: (ctx: StepContext<I, Pick2<S, N[number]>>) => Awaitable<string>;
            timeout?: number | string;
          }
      ),
  ): WorkflowBuilder<I, S & Record<Id, WaitResult>> {
    let plan: WaitConfig['plan'];
    let describe: Record<string, unknown>;
    if ('for' in options) {
      const sleepMs = parseDuration(options.for);
      plan = () => ({ sleepMs });
      describe = { for: options.for };
    } else if ('until' in options) {
      const until = options.until as (ctx: StepContext) => Awaitable<Date | number | string>;
      plan = async (ctx) => ({ until: await until(ctx) });
      describe = { until: bodyHash(options.until) };
    } else {
      const key = options.event as (ctx: StepContext) => Awaitable<string>;
      const timeoutMs = options.timeout === undefined ? undefined : parseDuration(options.timeout);
      plan = async (ctx): Promise<WaitPlan> => ({
        event: await key(ctx),
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      });
      describe = {
        event: bodyHash(options.event),
        ...(options.timeout === undefined ? {} : { eventTimeout: options.timeout }),
      };
    }
    // `timeout` here bounds the event wait, not an attempt.
    const { timeout: _t, ...common } = options as CommonStepOptions<I, never, N>;
    return this.add(id, 'wait', common, { plan } satisfies WaitConfig, describe);
  }

  /** Pauses until a person decides (through the engine API or `baton approve`), or the timeout's default action. */
  approval<Id extends string, D = unknown, const N extends readonly (keyof S & string)[] = []>(
    id: Id,
    options: Omit<CommonStepOptions<I, Pick2<S, N[number]>, N>, 'timeout'> & {
      prompt: string | ((ctx: StepContext<I, Pick2<S, N[number]>>) => Awaitable<string>);
      /** The data the decider judges (and may edit). */
      data?: (ctx: StepContext<I, Pick2<S, N[number]>>) => Awaitable<D>;
      assignee?: string;
      role?: string;
      /** Delay after which `defaultAction` is taken. */
      timeout?: number | string;
      /** @defaultValue 'reject' */
      defaultAction?: 'approve' | 'reject';
      /** @defaultValue 'fail' */
      onReject?: 'fail' | 'continue';
      /** SLA: with no decision `after` this delay, the approval moves to `role` and/or `assignee`, once. */
      escalate?: { after: number | string; role?: string; assignee?: string };
    },
  ): WorkflowBuilder<I, S & Record<Id, ApprovalResult<D>>> {
    const timeoutMs = options.timeout === undefined ? undefined : parseDuration(options.timeout);
    const esc = options.escalate;
    const escalate = esc && {
      afterMs: parseDuration(esc.after),
      ...(esc.role ? { role: esc.role } : {}),
      ...(esc.assignee ? { assignee: esc.assignee } : {}),
    };
    const request = async (ctx: StepContext): Promise<ApprovalPlan> => ({
      prompt:
        typeof options.prompt === 'function'
          ? await (options.prompt as (c: StepContext) => Awaitable<string>)(ctx)
          : options.prompt,
      ...(options.data ? { data: await (options.data as (c: StepContext) => Awaitable<D>)(ctx) } : {}),
      ...(options.assignee ? { assignee: options.assignee } : {}),
      ...(options.role ? { role: options.role } : {}),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      defaultAction: options.defaultAction ?? 'reject',
      onReject: options.onReject ?? 'fail',
      ...(escalate ? { escalate } : {}),
    });
    const { timeout: _t, ...common } = options;
    return this.add(
      id,
      'approval',
      common as CommonStepOptions<I, never, N>,
      { request },
      {
        prompt: typeof options.prompt === 'string' ? options.prompt : bodyHash(options.prompt),
        ...(options.timeout === undefined ? {} : { approvalTimeout: options.timeout }),
        defaultAction: options.defaultAction ?? 'reject',
        onReject: options.onReject ?? 'fail',
        ...(options.assignee ? { assignee: options.assignee } : {}),
        ...(options.role ? { role: options.role } : {}),
        ...(esc ? { escalate: { ...esc } } : {}),
      },
    );
  }

  /** Starts a child run of another workflow and waits for its output. */
  child<Id extends string, O = unknown, const N extends readonly (keyof S & string)[] = []>(
    id: Id,
    options: CommonStepOptions<I, Pick2<S, N[number]>, N> & {
      workflow: string | WorkflowDefinition;
      /** Pin a version id (`name@2`); the latest when omitted. */
      version?: string;
      input: (ctx: StepContext<I, Pick2<S, N[number]>>) => Awaitable<unknown>;
      /** Refuse to nest runs deeper than this. @defaultValue 5 */
      maxDepth?: number;
    },
  ): WorkflowBuilder<I, S & Record<Id, O>> {
    const name = typeof options.workflow === 'string' ? options.workflow : options.workflow.name;
    const config: ChildConfig = {
      workflow: name,
      ...(options.version ? { version: options.version } : {}),
      input: options.input as ChildConfig['input'],
      maxDepth: options.maxDepth ?? 5,
    };
    return this.add(id, 'workflow', options as CommonStepOptions<I, never, N>, config, {
      workflow: name,
      input: bodyHash(options.input),
      maxDepth: config.maxDepth,
      ...(options.version ? { version: options.version } : {}),
    });
  }

  /** Adds a step of a kind registered by a plugin (later issues: `llm`, `agent`, `tool`, `plan`). */
  custom<Id extends string, O = unknown, const N extends readonly (keyof S & string)[] = []>(
    id: Id,
    kind: string,
    options: CommonStepOptions<I, Pick2<S, N[number]>, N> & {
      config: unknown;
      describe?: Record<string, unknown>;
    },
  ): WorkflowBuilder<I, S & Record<Id, O>> {
    return this.add(
      id,
      kind,
      options as CommonStepOptions<I, never, N>,
      options.config,
      options.describe ?? {},
    );
  }

  /** Finishes the definition with a function computing the run's output from its steps. */
  output<O>(result: (ctx: StepContext<I, S>) => Awaitable<O>): WorkflowDefinition {
    return this.finish(result as WorkflowDefinition['result']);
  }

  /** Finishes the definition; the run's output is the outputs of the steps nothing needs, by id. */
  build(): WorkflowDefinition {
    return this.finish(undefined);
  }

  private finish(result: WorkflowDefinition['result'] | undefined): WorkflowDefinition {
    const issues = checkGraphStructure(this.steps);
    if (this.steps.length === 0)
      issues.push({ path: 'steps', code: 'EMPTY_WORKFLOW', message: 'a workflow needs at least one step' });
    if (issues.length > 0) {
      throw new BatonError(
        'INVALID_SPEC',
        `workflow "${this.options.name}" is invalid: ${issues.map((i) => i.message).join('; ')}`,
        {
          details: { issues },
        },
      );
    }
    const steps = this.steps.map((step) => {
      if (step.kind !== 'branch') return step;
      const targets = this.steps.filter((s) => s.needs.includes(step.id)).map((s) => s.id);
      return { ...step, config: { ...(step.config as BranchConfig), targets } };
    });
    const o = this.options;
    return {
      name: o.name,
      version: o.version,
      ...(o.description === undefined ? {} : { description: o.description }),
      input: o.input,
      ...(o.output === undefined ? {} : { output: o.output }),
      steps,
      ...(result === undefined ? {} : { result }),
      ...(o.timeout === undefined ? {} : { runTimeoutMs: parseDuration(o.timeout) }),
      source: 'code',
      definition: {
        name: o.name,
        version: o.version,
        ...(o.description === undefined ? {} : { description: o.description }),
        input: safeJsonSchema(o.input),
        ...(o.output === undefined ? {} : { outputSchema: safeJsonSchema(o.output) }),
        ...(result === undefined ? {} : { output: bodyHash(result) }),
        ...(o.timeout === undefined ? {} : { timeout: o.timeout }),
        steps: steps.map((s) => s.describe),
      },
    };
  }
}

/** A short hash of a function's source: a changed body makes a new version, and diffs say which. */
function bodyHash(fn: unknown): string {
  return `code:${createHash('sha256').update(String(fn).replace(/\s+/g, ' ')).digest('hex').slice(0, 12)}`;
}

function safeJsonSchema(schema: ZodType): unknown {
  try {
    return z.toJSONSchema(schema, { unrepresentable: 'any' });
  } catch {
    return { description: 'not representable as JSON Schema' };
  }
}
