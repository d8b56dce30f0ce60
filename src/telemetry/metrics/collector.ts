/**
 * What one scrape reads. Counters and histograms count what happened since `since` (the exporter's
 * start by default): the part older than `settleMs` is read once and kept in memory, the recent part
 * is read again at every scrape (rows may still be committed into it). A scrape therefore reads only
 * the last few minutes of the stores, counters never go down, and a prune of the stores does not
 * lower them. Gauges are read as they are now.
 * @module
 */
import type { GatewayLedger } from '../../gateway/ledger/port.js';
import type { BreakerState } from '../../resilience/breaker-state.js';
import { BREAKER_STATES, METRICS, RUN_BOUNDS, TOOL_BOUNDS } from './catalog.js';
import { RequestLogTally } from './request-log-tally.js';
import type { HistoryRange, MetricsSource } from './source.js';
import { LabelCap, Tally } from './tally.js';

/** Breakers read in-process at scrape time. */
export interface BreakerSources {
  /** Model targets (`Gateway.targets()`). */
  targets?: () => Array<{ target: string; breaker: BreakerState }>;
  /** Tools (`ToolRegistry.breakerState`), asked for every tool the audit trail named. */
  tool?: (name: string) => BreakerState | undefined;
}

/** Settings of a {@link MetricsCollector}. */
export interface CollectorOptions {
  /** Counters count from this instant (epoch ms); 0 counts everything the stores still hold. */
  since: number;
  /** `since` is now, the exporter's start (rather than an instant in the past). */
  sinceIsStart: boolean;
  /** Rows younger than this are read again at every scrape. */
  settleMs: number;
  /** Workers that finished an attempt this recently count as alive. */
  aliveMs: number;
  /** Distinct values kept per label (workflow, model, tenant, tool, code, target); later ones are `other`. */
  maxLabelValues: number;
  now: () => number;
}

/** The result of a scrape: counters and histograms, and gauges (kept as counter series). */
export interface Snapshot {
  totals: Tally;
  gauges: Tally;
}

/** How far apart the clocks of processes writing history may be. */
const CLOCK_SKEW_MS = 5000;

/** A history head read at an instant: no event at or after `at` has a lower seq. */
interface HeadMark {
  at: number;
  seq: number;
}

/** Reads the stores into {@link Snapshot}s. */
export class MetricsCollector {
  readonly #settled = new Tally();
  #settledUntil: number;
  #marks: HeadMark[] = [];
  #firstMark: Promise<void> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #caps: Record<'workflow' | 'model' | 'tenant' | 'tool' | 'code' | 'target', LabelCap>;
  readonly #requests: RequestLogTally | undefined;

  constructor(
    private readonly engine: MetricsSource | undefined,
    ledger: GatewayLedger | undefined,
    private readonly breakers: BreakerSources,
    private readonly options: CollectorOptions,
  ) {
    this.#settledUntil = options.since;
    const cap = () => new LabelCap(options.maxLabelValues);
    this.#caps = { workflow: cap(), model: cap(), tenant: cap(), tool: cap(), code: cap(), target: cap() };
    this.#requests = ledger ? new RequestLogTally(ledger, engine, this.#caps) : undefined;
    // A head read at start bounds the history the first scrapes read; events written during this
    // read are taken to have happened before the start.
    if (engine && options.sinceIsStart) {
      this.#firstMark = engine.historyHead().then(
        (seq) => {
          this.#marks.push({ at: options.since, seq });
        },
        () => undefined,
      );
    }
  }

  /** Reads the stores. Scrapes run one at a time: two must not both keep the same settled rows. */
  scrape(): Promise<Snapshot> {
    const scrape = this.#queue.then(() => this.#scrape());
    this.#queue = scrape.catch(() => undefined);
    return scrape;
  }

  async #scrape(): Promise<Snapshot> {
    await this.#firstMark;
    const now = this.options.now();
    const settleUntil = now - this.options.settleMs;
    if (settleUntil > this.#settledUntil) {
      const part = new Tally();
      await this.#addRange(part, this.#historyRange(this.#settledUntil, settleUntil));
      // Merged only once the whole part is read: a failed scrape leaves the kept counts as they were.
      this.#settled.merge(part);
      this.#settledUntil = settleUntil;
    }
    const totals = this.#settled.clone();
    await this.#addRange(totals, this.#historyRange(this.#settledUntil, Number.MAX_SAFE_INTEGER));
    const gauges = await this.#gauges(now);
    if (this.engine) {
      const seq = await this.engine.historyHead();
      // Tagged after the read, and later still by the clock skew allowed between processes: an event
      // stamped at or after the tag was written after the read, so its seq is above the head.
      this.#mark({ at: this.options.now() + CLOCK_SKEW_MS, seq });
    }
    return { totals, gauges };
  }

  #historyRange(from: number, to: number): HistoryRange {
    let afterSeq = 0;
    for (const mark of this.#marks) if (mark.at <= from) afterSeq = Math.max(afterSeq, mark.seq);
    return { from, to, afterSeq };
  }

  #mark(mark: HeadMark): void {
    // Only the latest mark at or before the settled edge is needed any more, and the ones after it.
    const edge = this.#marks.filter((m) => m.at <= this.#settledUntil).at(-1);
    this.#marks = [...(edge ? [edge] : []), ...this.#marks.filter((m) => m.at > this.#settledUntil), mark];
  }

  async #addRange(tally: Tally, range: HistoryRange): Promise<void> {
    const caps = this.#caps;
    const engine = this.engine;
    if (engine) {
      for (const r of await engine.finishedRuns(range, RUN_BOUNDS)) {
        const labels = { workflow: caps.workflow.of(r.workflow), status: r.status };
        tally.add(METRICS.runsFinished.name, labels, r.count);
        tally.observe(METRICS.runDuration.name, RUN_BOUNDS, labels, r.bucket, r.count, r.sum);
      }
      for (const r of await engine.finishedSteps(range, RUN_BOUNDS)) {
        const labels = { workflow: caps.workflow.of(r.workflow), status: r.status };
        tally.observe(METRICS.stepDuration.name, RUN_BOUNDS, labels, r.bucket, r.count, r.sum);
      }
      for (const r of await engine.countEvents(range, ['retry-scheduled', 'lease-taken-over'])) {
        const metric = r.type === 'retry-scheduled' ? METRICS.retries : METRICS.takeovers;
        tally.add(metric.name, { workflow: caps.workflow.of(r.workflow) }, r.count);
      }
      for (const r of (await engine.toolCalls(range, TOOL_BOUNDS)) ?? []) {
        const tool = caps.tool.of(r.tool);
        tally.add(METRICS.toolCalls.name, { tool, outcome: r.outcome }, r.count);
        if (r.outcome !== 'ok')
          tally.add(METRICS.toolErrors.name, { tool, code: caps.code.of(r.code ?? 'UNKNOWN') }, r.count);
        // A refused call never ran: its duration says nothing about the tool.
        if (r.outcome !== 'refused')
          tally.observe(METRICS.toolDuration.name, TOOL_BOUNDS, { tool }, r.bucket, r.count, r.sum);
      }
    }
    await this.#requests?.add(tally, range);
  }

  async #gauges(now: number): Promise<Tally> {
    const gauges = new Tally();
    const set = (name: string, labels: Record<string, string>, value: number) =>
      gauges.set(name, labels, value);
    const engine = this.engine;
    if (engine) {
      for (const r of await engine.activeRuns())
        set(
          METRICS.runsActive.name,
          { workflow: this.#caps.workflow.of(r.workflow), status: r.status },
          r.count,
        );
      const queue = await engine.queue(now);
      set(METRICS.queueDepth.name, {}, queue.ready);
      set(
        METRICS.queueAge.name,
        {},
        queue.oldestReadyAt === undefined ? 0 : Math.max(0, now - queue.oldestReadyAt) / 1000,
      );
      set(METRICS.tasksLeased.name, {}, queue.leased);
      set(METRICS.workersAlive.name, {}, (await engine.workers(now, now - this.options.aliveMs)).length);
    }
    const breakers = new Map<string, BreakerState>();
    for (const t of this.breakers.targets?.() ?? [])
      breakers.set(`model\u0000${this.#caps.target.of(t.target)}`, t.breaker);
    const toolState = this.breakers.tool;
    if (toolState) {
      for (const tool of this.#caps.tool.values()) {
        const state = toolState(tool);
        if (state) breakers.set(`tool\u0000${tool}`, state);
      }
    }
    for (const [key, state] of breakers) {
      const [kind = '', name = ''] = key.split('\u0000');
      for (const s of BREAKER_STATES)
        set(METRICS.breakerState.name, { kind, name, state: s }, s === state ? 1 : 0);
    }
    return gauges;
  }
}
