import { describe, expect, it } from 'vitest';
import type {
  ApprovalConfig,
  BranchConfig,
  ChildConfig,
  CompensationContext,
  FnConfig,
  ItemContext,
  MapConfig,
  RegisteredFunction,
  StepContext,
  StepDefinition,
  WaitConfig,
  WorkflowDefinition,
} from '../core/definition.js';
import { BatonError, toErrorInfo } from '../core/errors.js';
import { compileSpec } from './compile.js';
import { parseSpecText } from './parse.js';

const invoiceSpec = `
name: invoice-processing
version: 2
description: Extract, review and pay supplier invoices.
input:
  type: object
  properties:
    invoiceId: { type: string }
    lines: { type: array, items: { type: number } }
  required: [invoiceId]
outputSchema:
  type: object
  properties: { paid: { type: boolean } }
output: '{ "paid": $status.pay = "succeeded", "total": $steps.extract.total }'
timeout: 1h
steps:
  - id: extract
    kind: fn
    fn: extractInvoice
    input: '{ "id": $input.invoiceId }'
    retry: { maxAttempts: 5, initialDelay: 2s, backoff: 3, maxDelay: 1m, jitter: 0.1 }
    timeout: 30s
  - id: route
    kind: branch
    needs: [extract]
    cases:
      - when: '$steps.extract.total > 1000'
        then: [review]
      - when: '$steps.extract.total > 0'
        then: [pay]
    default: []
  - id: review
    kind: approval
    needs: [route]
    prompt: Approve this invoice?
    data: '$steps.extract'
    role: finance
    timeout: 3d
  - id: pay
    kind: fn
    needs: [route]
    when: '$steps.extract.total > 0'
    fn: pay
    effect: true
    compensate: { fn: refund, input: '{ "charge": $output.chargeId, "why": $reason.code }' }
  - id: charge-lines
    kind: map
    needs: [extract]
    items: '$input.lines'
    fn: chargeLine
    input: '{ "amount": $item, "n": $index, "invoice": $input.invoiceId }'
    concurrency: 3
    onItemFailure: collect
  - id: notify-each
    kind: map
    needs: [extract]
    items: '$input.lines[$ > 10]'
    fn: chargeLine
  - id: cool-off
    kind: wait
    needs: [pay]
    duration: PT5M
  - id: until-due
    kind: wait
    needs: [pay]
    until: '$input.dueAt'
  - id: receipt
    kind: wait
    needs: [pay]
    event: { key: '"receipt:" & $input.invoiceId', timeout: 2d }
  - id: archive
    kind: workflow
    needs: [receipt]
    workflow: archiver
    version: archiver@3
    input: '{ "doc": $input.invoiceId }'
`;

function context(overrides: Partial<StepContext> = {}): StepContext {
  return {
    input: { invoiceId: 'inv-1', lines: [5, 20, 30], dueAt: '2030-01-01T00:00:00Z' },
    steps: { extract: { total: 1500, vendor: 'acme' } },
    status: { extract: 'succeeded' },
    run: {
      id: 'run-1',
      workflow: 'invoice-processing',
      versionId: 'invoice-processing@1',
      tenant: 't',
      traceId: 'tr',
      depth: 0,
      createdAt: 0,
      tags: [],
    },
    step: { id: 'x', attempt: 1 },
    idempotencyKey: 'run-1:x',
    signal: new AbortController().signal,
    ...overrides,
  };
}

interface Call {
  name: string;
  args: unknown;
}

function registry(calls: Call[]): Map<string, RegisteredFunction> {
  const fn =
    (name: string): RegisteredFunction =>
    (args) => {
      calls.push({ name, args });
      return { from: name, args, chargeId: 'ch-1' };
    };
  return new Map(['extractInvoice', 'pay', 'refund', 'chargeLine'].map((name) => [name, fn(name)]));
}

function stepOf(steps: StepDefinition[], id: string): StepDefinition {
  const found = steps.find((s) => s.id === id);
  if (!found) throw new Error(`no step ${id}`);
  return found;
}

describe('compileSpec', () => {
  const calls: Call[] = [];
  const definition = compileSpec(parseSpecText(invoiceSpec), registry(calls));
  const get = (id: string) => stepOf(definition.steps, id);

  it('builds the workflow definition', () => {
    expect(definition).toMatchObject({
      name: 'invoice-processing',
      version: '2',
      description: 'Extract, review and pay supplier invoices.',
      runTimeoutMs: 3_600_000,
      source: 'spec',
    });
    expect(definition.steps.map((s) => s.id)).toEqual([
      'extract',
      'route',
      'review',
      'pay',
      'charge-lines',
      'notify-each',
      'cool-off',
      'until-due',
      'receipt',
      'archive',
    ]);
    expect(definition.input.safeParse({ invoiceId: 'a' }).success).toBe(true);
    expect(definition.input.safeParse({ lines: [] }).success).toBe(false);
    expect(definition.output?.safeParse({ paid: 'yes' }).success).toBe(false);
  });

  it('stores the normalized spec as plain JSON', () => {
    const stored = definition.definition as { version: unknown; steps: unknown[] };
    expect(stored.version).toBe('2');
    expect(JSON.parse(JSON.stringify(stored))).toEqual(stored);
    expect(get('review').describe).toEqual(stored.steps[2]);
  });

  it('maps the common step fields', () => {
    expect(get('extract')).toMatchObject({
      kind: 'fn',
      needs: [],
      retry: { maxAttempts: 5, initialDelayMs: 2_000, backoff: 3, maxDelayMs: 60_000, jitter: 0.1 },
      timeoutMs: 30_000,
    });
    expect(get('pay')).toMatchObject({ effect: true, needs: ['route'] });
    expect(get('pay').idempotent).toBeUndefined();
    // An approval's timeout is its decision timeout, not an attempt timeout.
    expect(get('review').timeoutMs).toBeUndefined();
  });

  it('fn steps call the function with the evaluated input, or the run input', async () => {
    calls.length = 0;
    const config = get('extract').config as FnConfig;
    expect(config.fn).toBe('extractInvoice');
    await expect(config.run(context())).resolves.toMatchObject({
      from: 'extractInvoice',
      args: { id: 'inv-1' },
    });
    await (get('pay').config as FnConfig).run(context());
    expect(calls).toEqual([
      { name: 'extractInvoice', args: { id: 'inv-1' } },
      { name: 'pay', args: context().input },
    ]);
  });

  it('when conditions use JSONata truthiness', async () => {
    const when = get('pay').when;
    expect(when).toBeDefined();
    await expect(when?.(context())).resolves.toBe(true);
    await expect(when?.(context({ steps: { extract: { total: 0 } } }))).resolves.toBe(false);
    await expect(when?.(context({ steps: {} }))).resolves.toBe(false);
    expect(get('extract').when).toBeUndefined();
  });

  it('branch steps take the first matching case, then the default', async () => {
    const config = get('route').config as BranchConfig;
    expect(config.targets).toEqual(['review', 'pay']);
    await expect(config.choose(context())).resolves.toEqual(['review']);
    await expect(config.choose(context({ steps: { extract: { total: 10 } } }))).resolves.toEqual(['pay']);
    await expect(config.choose(context({ steps: { extract: { total: -1 } } }))).resolves.toEqual([]);
  });

  it('map steps evaluate items and per-item args with $item and $index', async () => {
    calls.length = 0;
    const config = get('charge-lines').config as MapConfig;
    expect(config).toMatchObject({ concurrency: 3, onItemFailure: 'collect', maxItems: 10_000 });
    const items = await config.items(context());
    expect(items).toEqual([5, 20, 30]);
    const itemCtx: ItemContext = { ...context(), index: 1 };
    await config.run(items[1], itemCtx);
    expect(calls).toEqual([{ name: 'chargeLine', args: { amount: 20, n: 1, invoice: 'inv-1' } }]);
  });

  it('map items: a single match is one item, no match is none; without input the item is the args', async () => {
    const config = get('notify-each').config as MapConfig;
    expect(config).toMatchObject({ concurrency: 10, onItemFailure: 'fail-fast', maxItems: 10_000 });
    await expect(config.items(context())).resolves.toEqual([20, 30]);
    await expect(config.items(context({ input: { lines: [1, 50] } }))).resolves.toEqual([50]);
    await expect(config.items(context({ input: { lines: [1] } }))).resolves.toEqual([]);
    calls.length = 0;
    await config.run(50, { ...context(), index: 0 });
    expect(calls).toEqual([{ name: 'chargeLine', args: 50 }]);
  });

  it('wait steps plan a sleep, a date or an event', async () => {
    expect(await (get('cool-off').config as WaitConfig).plan(context())).toEqual({ sleepMs: 300_000 });
    await expect((get('until-due').config as WaitConfig).plan(context())).resolves.toEqual({
      until: '2030-01-01T00:00:00Z',
    });
    await expect((get('receipt').config as WaitConfig).plan(context())).resolves.toEqual({
      event: 'receipt:inv-1',
      timeoutMs: 172_800_000,
    });
  });

  it('wait steps reject results that are not dates or keys', async () => {
    const until = (get('until-due').config as WaitConfig).plan(context({ input: { dueAt: 'someday' } }));
    await expect(until).rejects.toMatchObject({
      code: 'EXPRESSION_FAILED',
      details: { path: 'steps[7].until' },
    });
    const definition = compileSpec(
      { name: 'w', version: '1', steps: [{ id: 'w', kind: 'wait', event: { key: '$input.key' } }] },
      new Map(),
    );
    const plan = (firstConfig(definition) as WaitConfig).plan;
    await expect(plan(context({ input: { key: 7 } }))).resolves.toEqual({ event: '7' });
    await expect(plan(context({ input: {} }))).rejects.toThrow(/event key, got nothing/);
    await expect(plan(context({ input: { key: '' } }))).rejects.toMatchObject({ code: 'EXPRESSION_FAILED' });
  });

  it('approval steps build the request with defaults', async () => {
    const plan = await (get('review').config as ApprovalConfig).request(context());
    expect(plan).toEqual({
      prompt: 'Approve this invoice?',
      data: { total: 1500, vendor: 'acme' },
      role: 'finance',
      timeoutMs: 259_200_000,
      defaultAction: 'reject',
      onReject: 'fail',
    });
  });

  it('approval steps carry their escalation in milliseconds', async () => {
    const definition = compileSpec(
      {
        name: 'a',
        version: '1',
        steps: [{ id: 'ok', kind: 'approval', prompt: 'ok?', escalate: { after: '2h', role: 'lead' } }],
      },
      new Map(),
    );
    const plan = await (firstConfig(definition) as ApprovalConfig).request(context());
    expect(plan.escalate).toEqual({ afterMs: 7_200_000, role: 'lead' });
  });

  it('workflow steps become child configs', async () => {
    const config = get('archive').config as ChildConfig;
    expect(config).toMatchObject({ workflow: 'archiver', version: 'archiver@3', maxDepth: 5 });
    await expect(config.input(context())).resolves.toEqual({ doc: 'inv-1' });
  });

  it('compensations get $output and $reason', async () => {
    calls.length = 0;
    const ctx: CompensationContext = {
      ...context(),
      output: { chargeId: 'ch-9' },
      reason: { code: 'STEP_FAILED', message: 'boom' },
    };
    await get('pay').compensate?.(ctx);
    expect(calls).toEqual([{ name: 'refund', args: { charge: 'ch-9', why: 'STEP_FAILED' } }]);
  });

  it('computes the run output from the output expression', async () => {
    const ctx = context({ status: { extract: 'succeeded', pay: 'succeeded' } });
    await expect(definition.result?.(ctx)).resolves.toEqual({ paid: true, total: 1500 });
  });

  it('recompiles its own stored definition', () => {
    const again = compileSpec(definition.definition, registry([]));
    expect(again.definition).toEqual(definition.definition);
  });
});

describe('compileSpec defaults', () => {
  it('passes the run input to fn and child steps without input, and accepts any input', async () => {
    const seen: unknown[] = [];
    const definition = compileSpec(
      {
        name: 'tiny',
        version: '1',
        steps: [
          { id: 'a', kind: 'fn', fn: 'echo', compensate: { fn: 'echo' } },
          { id: 'b', kind: 'workflow', workflow: 'other', needs: ['a'] },
          { id: 'c', kind: 'approval', prompt: 'ok?', needs: ['a'] },
        ],
      },
      new Map([['echo', (args: unknown) => seen.push(args)]]),
    );
    expect(definition.input.safeParse(42).success).toBe(true);
    expect(definition.output).toBeUndefined();
    expect(definition.result).toBeUndefined();
    expect(definition.runTimeoutMs).toBeUndefined();
    const [a, b, c] = definition.steps as [StepDefinition, StepDefinition, StepDefinition];
    await (a.config as FnConfig).run(context({ input: 'hello' }));
    await a.compensate?.({ ...context(), output: 'out', reason: { code: 'X', message: 'x' } });
    expect(seen).toEqual(['hello', 'out']);
    await expect((b.config as ChildConfig).input(context({ input: 'hi' }))).resolves.toBe('hi');
    expect(b.config).toMatchObject({ workflow: 'other', maxDepth: 5 });
    expect((b.config as ChildConfig).version).toBeUndefined();
    await expect((c.config as ApprovalConfig).request(context())).resolves.toEqual({
      prompt: 'ok?',
      defaultAction: 'reject',
      onReject: 'fail',
    });
  });
});

describe('compileSpec expressions', () => {
  it('see the document { input, steps, run } and the $input, $steps, $status and $run variables', async () => {
    const input =
      '[input.invoiceId, $input.invoiceId, steps.extract.total, $steps.extract.total, run.id, $run.id, $status.extract]';
    const definition = compileSpec(
      { name: 'x', version: '1', steps: [{ id: 'a', kind: 'fn', fn: 'f', input }] },
      new Map([['f', (args: unknown) => args]]),
    );
    await expect((firstConfig(definition) as FnConfig).run(context())).resolves.toEqual([
      'inv-1',
      'inv-1',
      1500,
      1500,
      'run-1',
      'run-1',
      'succeeded',
    ]);
  });

  it('return copies, so a function cannot change the step context through its args', async () => {
    const ctx = context();
    const definition = compileSpec(
      { name: 'x', version: '1', steps: [{ id: 'a', kind: 'fn', fn: 'f', input: '$steps.extract' }] },
      new Map([['f', (args: unknown) => Object.assign(args as object, { total: 0 })]]),
    );
    await (firstConfig(definition) as FnConfig).run(ctx);
    expect(ctx.steps).toEqual({ extract: { total: 1500, vendor: 'acme' } });
  });
});

describe('compileSpec errors', () => {
  it('throws INVALID_SPEC listing every issue', () => {
    const doc = parseSpecText(invoiceSpec) as { steps: Array<Record<string, unknown>> };
    (doc.steps[0] as Record<string, unknown>).needs = ['ghost'];
    let error: unknown;
    try {
      compileSpec(doc, new Map());
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BatonError);
    const err = error as BatonError;
    expect(err.code).toBe('INVALID_SPEC');
    expect(err.message).toMatch(
      /^workflow spec "invoice-processing" is invalid: 6 problems\. Fix each problem/,
    );
    expect(err.message).toMatch(/steps\[0\]\.needs\[0\]: .*"ghost"/);
    const issues = (err.details as { issues: Array<{ code: string }> }).issues;
    expect(issues.map((i) => i.code)).toEqual([
      'UNKNOWN_FUNCTION',
      'UNKNOWN_FUNCTION',
      'UNKNOWN_FUNCTION',
      'UNKNOWN_FUNCTION',
      'UNKNOWN_FUNCTION',
      'UNKNOWN_NEED',
    ]);
    expect(err.hint).toMatch(/details\.issues/);
  });

  it('names an unnamed spec and counts one problem', () => {
    expect(() => compileSpec({ steps: [{ id: 'a', kind: 'wait', duration: '1s' }] }, new Map())).toThrow(
      /workflow spec "\(unnamed\)" is invalid: 2 problems/,
    );
    expect(() => compileSpec({ name: 'x', version: '1', steps: [] }, new Map())).toThrow(/: 1 problem\./);
  });

  it('turns expression failures into non-retryable EXPRESSION_FAILED errors', async () => {
    const definition = compileSpec(
      { name: 'x', version: '1', steps: [{ id: 'a', kind: 'fn', fn: 'f', input: '$sum("not numbers")' }] },
      new Map([['f', () => 1]]),
    );
    const run = Promise.resolve((firstConfig(definition) as FnConfig).run(context()));
    await expect(run).rejects.toBeInstanceOf(BatonError);
    const err = (await run.catch((e: unknown) => e)) as BatonError;
    expect(err.code).toBe('EXPRESSION_FAILED');
    expect(err.message).toMatch(/expression at steps\[0\]\.input failed: .*sum/);
    expect(err.details).toMatchObject({
      path: 'steps[0].input',
      expression: '$sum("not numbers")',
      jsonataCode: 'T0412',
    });
    expect(toErrorInfo(err).retryable).toBe(false);
  });

  it('bounds runaway expressions', async () => {
    const definition = compileSpec(
      {
        name: 'x',
        version: '1',
        steps: [
          { id: 'a', kind: 'fn', fn: 'f', input: '($loop := function($n) { $loop($n + 1) }; $loop(0))' },
        ],
      },
      new Map([['f', () => 1]]),
      { expressionTimeoutMs: 50 },
    );
    await expect((firstConfig(definition) as FnConfig).run(context())).rejects.toMatchObject({
      code: 'EXPRESSION_FAILED',
      details: { jsonataCode: 'D1012' },
    });
  });
});

function firstConfig(definition: WorkflowDefinition): unknown {
  const first = definition.steps[0];
  if (!first) throw new Error('the definition has no steps');
  return first.config;
}
