/**
 * `createMetrics`: the Prometheus exporter of an engine, its gateway and its tools. Nothing is counted
 * on the engine's hot paths: every value is read from the stores (and the in-process breakers) when
 * Prometheus scrapes.
 * @module
 */
import { Registry } from 'prom-client';
import type { GatewayLedger } from '../../gateway/ledger/port.js';
import type { BreakerState } from '../../resilience/breaker-state.js';
import type { Baton } from '../../runtime/baton.js';
import type { Store } from '../../store/port.js';
import { PostgresStore } from '../../store/postgres/postgres-store.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import { METRICS } from './catalog.js';
import { MetricsCollector, type Snapshot } from './collector.js';
import { registerCatalog } from './exposition.js';
import { openPostgresMetricsSource, type PostgresMetricsOptions } from './postgres-source.js';
import type { MetricsSource } from './source.js';
import { openSqliteMetricsSource } from './sqlite-source.js';

/** Where the engine's tables (and the agents' audit trail beside them) are. */
export type MetricsDatabase = { path: string } | PostgresMetricsOptions;

/** What counters count and how often the stores are read. */
export interface MetricsWindow {
  /**
   * Counters and histograms count from this instant (epoch ms, inclusive); `0` counts all the stores keep.
   * @defaultValue the millisecond after `createMetrics` is called: what the stores stamped in the
   * millisecond of the call happened before the exporter started, not after.
   */
  since?: number;
  /** Rows younger than this are read again at each scrape, since they may still be written; older ones are read once. @defaultValue 120000 */
  settleMs?: number;
  /** A worker that finished an attempt this recently counts as alive. @defaultValue 60000 */
  aliveMs?: number;
}

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  baton: Baton;
  /**
   * Where to read the engine's tables: by default where `baton.store` keeps them (its SQLite file or
   * Postgres database); `false` reads none (model and breaker metrics only).
   */
  database?: MetricsDatabase | false;
  /** The gateway: model metrics from its request log, breaker states of its targets. */
  gateway?: {
    ledger: GatewayLedger;
    targets(): Array<{ target: string; breaker: BreakerState }>;
  };
  /** The tool registry, for the breaker state of every tool the audit trail names. */
  tools?: { breakerState(name: string): BreakerState | undefined };
  window?: MetricsWindow;
  /** Distinct values per label (workflow, model, tenant, tool, code, target) before folding into `other`. @defaultValue 50 */
  maxLabelValues?: number;
  /** A scrape this recent is served again rather than read anew. @defaultValue 1000 */
  cacheMs?: number;
  /** @defaultValue Date.now */
  now?: () => number;
}

/** A running exporter. */
export interface BatonMetrics {
  /** The prom-client registry holding Baton's metrics; merge it with your own if you expose both. */
  registry: Registry;
  /** The `Content-Type` of {@link BatonMetrics.metrics}'s text. */
  contentType: string;
  /** Reads the stores and returns the exposition text. */
  metrics(): Promise<string>;
  /** Closes the exporter's own database connection. The engine, gateway and tools stay open. */
  close(): Promise<void>;
}

/**
 * Creates the exporter. It opens a read-only connection of its own to the engine's database.
 * @example
 * const metrics = createMetrics({ baton, gateway, tools });
 * app.get('/metrics', async (c) => c.body(await metrics.metrics(), 200, { 'Content-Type': metrics.contentType }));
 */
export function createMetrics(options: MetricsOptions): BatonMetrics {
  const now = options.now ?? Date.now;
  const database = options.database === undefined ? engineDatabaseOf(options.baton.store) : options.database;
  const source = database === false || database === undefined ? undefined : openSource(database);
  const window = options.window ?? {};
  const gateway = options.gateway;
  const collector = new MetricsCollector(
    source,
    gateway?.ledger,
    {
      ...(gateway ? { targets: () => gateway.targets() } : {}),
      ...(options.tools ? { tool: (name: string) => options.tools?.breakerState(name) } : {}),
    },
    {
      // Stores stamp at millisecond granularity: a run that finished just before the call may carry the
      // call's own millisecond, so counting from it (inclusive) would count what happened before.
      since: window.since ?? now() + 1,
      sinceIsStart: window.since === undefined,
      settleMs: window.settleMs ?? 120_000,
      aliveMs: window.aliveMs ?? 60_000,
      maxLabelValues: options.maxLabelValues ?? 50,
      now,
    },
  );
  const cacheMs = options.cacheMs ?? 1000;
  let last: { at: number; snapshot: Promise<Snapshot> } | undefined;
  let pinned: Promise<Snapshot> | undefined;
  // Every metric of the registry asks during one collection: they share one scrape.
  const snapshot = (): Promise<Snapshot> => {
    if (pinned) return pinned;
    const at = now();
    if (last && at - last.at <= cacheMs) return last.snapshot;
    const current = { at, snapshot: collector.scrape() };
    last = current;
    current.snapshot.catch(() => {
      if (last === current) last = undefined;
    });
    return current.snapshot;
  };
  const registry = new Registry();
  registerCatalog(registry, Object.values(METRICS), snapshot);
  return {
    registry,
    contentType: registry.contentType,
    async metrics() {
      const current = snapshot();
      // Read first, so that a failing store rejects here rather than halfway through formatting.
      await current;
      pinned = current;
      try {
        return await registry.metrics();
      } finally {
        if (pinned === current) pinned = undefined;
      }
    },
    close: async () => {
      await source?.close();
    },
  };
}

function openSource(database: MetricsDatabase): MetricsSource {
  return 'path' in database ? openSqliteMetricsSource(database.path) : openPostgresMetricsSource(database);
}

/**
 * Where a store of Baton's own adapters keeps its tables; undefined for an in-memory SQLite file or a
 * store of another kind (pass `database` then).
 */
export function engineDatabaseOf(store: Store): MetricsDatabase | undefined {
  if (store instanceof SqliteStore) return store.path === ':memory:' ? undefined : { path: store.path };
  if (store instanceof PostgresStore) return { ...store.database };
  return undefined;
}
