/**
 * Telemetry as the CLI turns it on: spans kept in the engine's database, OTLP export when an
 * endpoint is configured in the environment, JSON logs on stderr.
 * @module
 */
import { join } from 'node:path';
import { createLogger, type Logger } from './logs.js';
import type { SpanStore } from './spans/port.js';
import { openPostgresSpanStore } from './spans/postgres-span-store.js';
import { openThreadedSqliteSpanStore } from './spans/threaded-sqlite-span-store.js';
import { createTracing, type Tracing, type TracingOptions } from './tracing/tracing.js';

/**
 * The OTLP/HTTP traces endpoint the environment names: `BATON_OTLP_URL` as is, else
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as is, else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`;
 * headers from `OTEL_EXPORTER_OTLP_HEADERS` (`k=v,k2=v2`).
 */
export function otlpFromEnv(env: NodeJS.ProcessEnv = process.env): TracingOptions['otlp'] {
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const url =
    env.BATON_OTLP_URL ||
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ||
    (base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined);
  if (!url) return undefined;
  const headers: Record<string, string> = {};
  for (const pair of (env.OTEL_EXPORTER_OTLP_HEADERS ?? '').split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0)
      headers[decodeURIComponent(pair.slice(0, eq).trim())] = decodeURIComponent(pair.slice(eq + 1).trim());
  }
  return Object.keys(headers).length > 0 ? { url, headers } : { url };
}

/** Where the engine's database is, as the CLI knows it. */
export interface TelemetryDatabase {
  databaseUrl?: string | undefined;
  databaseSchema?: string | undefined;
  dataDir?: string | undefined;
  /** Spans that ended longer ago than this (ms) are pruned, 10 s after start and then hourly. */
  retentionMs?: number | undefined;
}

/** The telemetry the CLI opens, and how to close it. */
export interface CliTelemetry {
  tracing: Tracing;
  logger: Logger;
  spanStore: SpanStore;
  /** Flushes the spans, then closes the span store. */
  close(): Promise<void>;
}

/**
 * Opens the span store beside the engine's tables and the tracing and logger on it. Content capture
 * is on with `BATON_TRACE_CONTENT=1` (masked, truncated).
 */
export async function openCliTelemetry(
  db: TelemetryDatabase,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CliTelemetry> {
  const logger = createLogger({ env });
  const spanStore = db.databaseUrl
    ? await openPostgresSpanStore({
        connectionString: db.databaseUrl,
        poolSize: 2,
        ...(db.databaseSchema ? { schema: db.databaseSchema } : {}),
      })
    : // A file of its own, so span batches never hold the engine's write lock; written on a thread of
      // its own, so their inserts never hold the event loop.
      await openThreadedSqliteSpanStore({
        path: join(db.dataDir ?? '.baton', 'telemetry.db'),
        onWriterExit: (error) => logger.error({ err: error }, 'span writer thread ended'),
      });
  const otlp = otlpFromEnv(env);
  const tracing = createTracing({
    spanStore,
    ...(otlp ? { otlp } : {}),
    captureContent: env.BATON_TRACE_CONTENT === '1' || env.BATON_TRACE_CONTENT === 'true',
    onError: (error) => logger.warn({ err: error }, 'spans not written'),
  });
  const prune = () => {
    if (db.retentionMs === undefined) return;
    spanStore.pruneBefore(Date.now() - db.retentionMs).catch((error: unknown) => {
      logger.warn({ err: error }, 'spans not pruned');
    });
  };
  const timers = [setTimeout(prune, 10_000).unref(), setInterval(prune, 60 * 60 * 1000).unref()];
  return {
    tracing,
    logger,
    spanStore,
    async close() {
      for (const t of timers) clearTimeout(t);
      await tracing.shutdown().catch(() => undefined);
      await spanStore.close();
      logger.flush();
    },
  };
}
