/**
 * Tracing: one OpenTelemetry trace per run, kept in Baton's span store (and sent to an OTLP
 * collector when one is configured).
 *
 * The shape of a trace: the run's `invoke_workflow {workflow}` span; under it a span per step attempt;
 * under those, `invoke_agent {name}`, `chat {model}`, `embeddings {model}` and `execute_tool {name}`;
 * a child run's `invoke_workflow` span under the span that started it.
 *
 * Ids are derived, not coordinated: the trace id is the run's `traceId` (child runs inherit it), the
 * run span's id is a hash of the run id and an attempt's a hash of its task, so a retry or a takeover
 * in another process parents its spans to the same run span. The run and attempt spans are not
 * stored: `readRunTrace` (engine-spans.ts) derives them from the engine's store when a trace is read.
 * Exporters other than the span store get them as they end: an attempt's when its body returns, the
 * run's from the process whose commit finished the run ({@link Tracing.watch} on
 * `store.onRunFinished`: exactly one process writes that commit).
 * @module
 */

import {
  type Attributes,
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  type SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { toErrorInfo } from '../../core/errors.js';
import type { ClaimedTask, Run, StepOutcome } from '../../core/types.js';
import type { AttemptRecord } from '../../store/port.js';
import { TRACING_KEY } from '../context-keys.js';
import type { SpanStore } from '../spans/port.js';
import { DEFAULT_CONTENT_BYTES, maskedContent } from './content.js';
import { installContextManager } from './context-manager.js';
import { EngineSpanExport } from './engine-span-export.js';
import { attemptSpan, parentSpanOf, runSpan } from './engine-spans.js';
import { errorType } from './genai-attributes.js';
import { attemptSpanId, childSpanId, DerivedIds, otelTraceId, runSpanId } from './ids.js';
import { PARENT_SPAN_TAG } from './parent-span-tag.js';
import { SpanStoreExporter } from './span-store-exporter.js';

/** Options of {@link createTracing}. */
export interface TracingOptions {
  /** Where spans are kept for the dashboard and the API. */
  spanStore?: SpanStore;
  /** Also send spans to an OTLP/HTTP collector (`http://collector:4318/v1/traces`). */
  otlp?: { url: string; headers?: Record<string, string> };
  /** Extra exporters (tests, a console exporter). */
  exporters?: SpanExporter[];
  /** Record message content (masked, truncated) on model and tool spans. @defaultValue false */
  captureContent?: boolean;
  /** Longest content kept, in UTF-8 bytes. @defaultValue 4096 */
  maxContentBytes?: number;
  /** The `service.name` resource attribute. @defaultValue 'baton' */
  serviceName?: string;
  /** How often queued spans are written. @defaultValue 1000 */
  flushIntervalMs?: number;
  /** Called when spans cannot be written (the store is down); tracing never fails a step. */
  onError?: (error: unknown) => void;
}

export { PARENT_SPAN_TAG };

/**
 * A step attempt's span while its body runs: not recording (the attempt's span is derived from the
 * store, see engine-spans.ts), it only names the parent of the spans made inside the step.
 */
export class AttemptSpan implements Span {
  /** Epoch milliseconds. */
  readonly startTime = Date.now();
  #context: SpanContext | undefined;

  constructor(
    readonly task: ClaimedTask,
    readonly traceId: string,
  ) {}

  spanContext(): SpanContext {
    this.#context ??= {
      traceId: this.traceId,
      spanId: attemptSpanId(this.task),
      traceFlags: TraceFlags.SAMPLED,
    };
    return this.#context;
  }
  setAttribute(): this {
    return this;
  }
  setAttributes(): this {
    return this;
  }
  addEvent(): this {
    return this;
  }
  addLink(): this {
    return this;
  }
  addLinks(): this {
    return this;
  }
  setStatus(): this {
    return this;
  }
  updateName(): this {
    return this;
  }
  end(): void {}
  isRecording(): boolean {
    return false;
  }
  recordException(): void {}
}

/** What {@link Tracing.watch} reads of the engine's store. */
export type RunSource = {
  getRun(id: string): Promise<Run | undefined>;
  listAttempts(runId: string): Promise<AttemptRecord[]>;
  onRunFinished(listener: (run: { id: string }) => void): () => void;
};

/**
 * Creates the tracing that `Baton.open({ tracing })` and `Gateway.open({ tracing })` take.
 * @example
 * const tracing = createTracing({ spanStore: await openSqliteSpanStore({ path: '.baton/baton.db' }) });
 * const baton = await Baton.open({ tracing });
 */
export function createTracing(options: TracingOptions = {}): Tracing {
  return new Tracing(options);
}

/** A tracer provider writing to Baton's span store; see {@link createTracing}. */
export class Tracing {
  readonly captureContent: boolean;
  readonly maxContentBytes: number;
  readonly tracer: Tracer;
  readonly #provider: BasicTracerProvider;
  readonly #ids = new DerivedIds();
  readonly #pending = new Set<Promise<void>>();
  readonly #onError: (error: unknown) => void;
  /** Where run and attempt spans go when exporters other than the span store want them. */
  readonly #engineSpanExport: EngineSpanExport | undefined;
  /** Span contexts of recent runs: every step of a run hangs from the same one. */
  readonly #runContexts = new Map<string, Context>();

  constructor(options: TracingOptions) {
    installContextManager();
    this.captureContent = options.captureContent ?? false;
    this.maxContentBytes = options.maxContentBytes ?? DEFAULT_CONTENT_BYTES;
    this.#onError = options.onError ?? (() => {});
    // A queue deep enough for a busy worker's spans between two flushes; beyond it, spans are dropped.
    const batch = {
      scheduledDelayMillis: options.flushIntervalMs ?? 1000,
      maxExportBatchSize: 1024,
      maxQueueSize: 16_384,
    };
    // The span store gets the SDK's spans (model, tool and agent calls); the run and attempt spans
    // are derived from the engine's store when read (engine-spans.ts). Other exporters get both.
    const storeProcessors: SpanProcessor[] = [];
    if (options.spanStore) {
      storeProcessors.push(
        new BatchSpanProcessor(new SpanStoreExporter(options.spanStore, this.#onError), batch),
      );
    }
    const others: SpanProcessor[] = [];
    if (options.otlp) {
      const exporter = new OTLPTraceExporter({
        url: options.otlp.url,
        ...(options.otlp.headers ? { headers: options.otlp.headers } : {}),
      });
      others.push(new BatchSpanProcessor(exporter, batch));
    }
    for (const exporter of options.exporters ?? []) others.push(new BatchSpanProcessor(exporter, batch));
    const resource = resourceFromAttributes({ 'service.name': options.serviceName ?? 'baton' });
    this.#provider = new BasicTracerProvider({
      resource,
      idGenerator: this.#ids,
      spanProcessors: [...storeProcessors, ...others],
    });
    this.#engineSpanExport = others.length > 0 ? new EngineSpanExport(others, resource) : undefined;
    this.tracer = this.#provider.getTracer('baton');
  }

  /** The context a step attempt's spans hang from: its run's span, wherever that is recorded. */
  runContext(run: Pick<Run, 'id' | 'traceId'>): Context {
    let ctx = this.#runContexts.get(run.id);
    if (ctx) return ctx;
    ctx = trace
      .setSpanContext(ROOT_CONTEXT, {
        traceId: otelTraceId(run.traceId),
        spanId: runSpanId(run.id),
        traceFlags: TraceFlags.SAMPLED,
        isRemote: true,
      })
      .setValue(TRACING_KEY, this);
    // Runs in flight at once are far fewer; forgetting all of them now and then costs a few hashes.
    if (this.#runContexts.size >= 4096) this.#runContexts.clear();
    this.#runContexts.set(run.id, ctx);
    return ctx;
  }

  /**
   * Starts the span of a step attempt: the context its body runs in, whose span (with the id any
   * process derives for the attempt) model, tool and agent spans hang from. The id is derived only
   * when something asks for it: most steps make no call that is traced.
   */
  startAttempt(task: ClaimedTask): { span: AttemptSpan; ctx: Context } {
    const parent = this.runContext(task.run);
    const span = new AttemptSpan(task, (trace.getSpanContext(parent) as SpanContext).traceId);
    return { span, ctx: trace.setSpan(parent, span) };
  }

  /**
   * Ends a step attempt's span with its outcome (or the error its body threw). The span store needs
   * nothing (the attempt is in the engine's store); other exporters get the span now.
   */
  endAttempt(span: AttemptSpan, returned: StepOutcome | undefined, error?: unknown, workerId = ''): void {
    if (!this.#engineSpanExport) return;
    // A body that threw fails the attempt as the worker reports it.
    const outcome: StepOutcome = returned ?? { type: 'failed', error: toErrorInfo(error) };
    const { task } = span;
    this.#engineSpanExport.export(
      attemptSpan(task.run, {
        runId: task.runId,
        stepId: task.stepId,
        kind: task.kind,
        item: task.item,
        attempt: task.attempt,
        workerId,
        status: outcome.type === 'failed' ? 'failed' : 'succeeded',
        startedAt: span.startTime,
        finishedAt: Date.now(),
        ...(outcome.type === 'failed' ? { error: outcome.error } : {}),
      }),
    );
  }

  /**
   * Runs `body` in a span under the current one (model calls, tools, agents). Outside a traced step
   * there is no current span and `body` runs alone: calls made outside runs are not traced.
   */
  async inSpan<T>(
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    body: (span: Span) => Promise<T>,
    options: { derivedId?: boolean } = {},
  ): Promise<T> {
    const started = this.startChild(name, kind, attributes, options);
    if (!started) return body(NOT_RECORDING);
    const { span, ctx } = started;
    try {
      return await context.with(ctx, () => body(span));
    } catch (error) {
      this.fail(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  /**
   * Starts a span under the current one, or nothing outside a traced step; the caller ends it. With
   * `derivedId`, its id derives from its parent's and its name (see {@link childSpanId}).
   */
  startChild(
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    options: { derivedId?: boolean } = {},
  ): { span: Span; ctx: Context } | undefined {
    const parent = context.active();
    const parentSpan = trace.getSpan(parent);
    if (!parentSpan) return undefined;
    const start = () => this.tracer.startSpan(name, { kind, attributes }, parent);
    const span = options.derivedId
      ? this.#ids.next({ spanId: childSpanId(parentSpan.spanContext().spanId, name) }, start)
      : start();
    return { span, ctx: trace.setSpan(parent, span) };
  }

  /** Marks a span failed by `error`. */
  fail(span: Span, error: unknown): void {
    span.setAttribute('error.type', errorType(error));
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: (error as Error | null)?.message ?? String(error),
    });
  }

  /** `value` for a content attribute: masked and cut, or undefined when content capture is off. */
  content(value: unknown): string | undefined {
    return this.captureContent ? maskedContent(value, this.maxContentBytes) : undefined;
  }

  /**
   * Exports the run span of every run this process finishes, when exporters other than the span
   * store are configured (the span store derives it when read). Returns the unsubscribe function.
   */
  watch(store: RunSource): () => void {
    if (!this.#engineSpanExport) return () => {};
    return store.onRunFinished(({ id }) => {
      const recording = this.recordRun(store, id).catch(this.#onError);
      this.#pending.add(recording);
      void recording.finally(() => this.#pending.delete(recording));
    });
  }

  /** Exports the `invoke_workflow` span of a finished run, from its stored times. */
  async recordRun(store: Omit<RunSource, 'onRunFinished'>, runId: string): Promise<void> {
    if (!this.#engineSpanExport) return;
    const run = await store.getRun(runId);
    if (!run || run.finishedAt === undefined) return;
    const parentAttempts =
      run.parentRunId && run.parentStepId ? await store.listAttempts(run.parentRunId) : [];
    this.#engineSpanExport.export(runSpan(run, parentSpanOf(run, parentAttempts)));
  }

  /** Writes every span ended so far (run spans being recorded included). */
  async flush(): Promise<void> {
    await Promise.all(this.#pending);
    await this.#provider.forceFlush();
  }

  /** Flushes, then stops the exporters. */
  async shutdown(): Promise<void> {
    await Promise.all(this.#pending);
    await this.#provider.shutdown();
  }
}

const NOT_RECORDING = trace.wrapSpanContext({
  traceId: '00000000000000000000000000000000',
  spanId: '0000000000000000',
  traceFlags: TraceFlags.NONE,
});
