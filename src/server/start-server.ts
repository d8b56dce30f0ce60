/**
 * Starting the API server: the context, the HTTP app on a socket, and the background services
 * (webhooks, cron and event triggers, approval SLAs). `baton server` and `baton dev` both start it.
 * @module
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { BatonError } from '../core/errors.js';
import type { Gateway } from '../gateway/gateway.js';
import type { Baton } from '../runtime/baton.js';
import { type AlertServiceOptions, startAlertService } from '../telemetry/alerts/alert-service.js';
import { createMetrics, type MetricsOptions } from '../telemetry/metrics/index.js';
import type { SpanStore } from '../telemetry/spans/port.js';
import { type ApiAppOptions, createApiApp } from './app/index.js';
import type { ServerContext } from './context.js';
import type { ControlStore, CreatedApiKey } from './control/port.js';
import { createEventTriggers, type ServicesOptions, startServices } from './services/index.js';

/** Options of {@link startServer}. */
export interface StartServerOptions {
  baton: Baton;
  control: ControlStore;
  /** Mounted at `/v1/chat/completions`, `/v1/embeddings` and `/v1/models`. */
  gateway?: Gateway;
  /** @defaultValue 3000 */
  port?: number;
  /** @defaultValue '127.0.0.1' */
  hostname?: string;
  /** Run webhooks, cron triggers and approval SLAs in this process. @defaultValue true */
  services?: boolean | ServicesOptions;
  /** @defaultValue Date.now */
  now?: () => number;
  /** Body size and rate limits of the HTTP app. */
  api?: ApiAppOptions;
  /**
   * `GET /metrics`, read from the stores at each scrape; `false` turns it off. With a `token` (by
   * default `$BATON_METRICS_TOKEN`), scrapers must send it as a bearer token.
   * @defaultValue on, unauthenticated unless BATON_METRICS_TOKEN is set
   */
  metrics?: false | ({ token?: string } & Omit<MetricsOptions, 'baton' | 'gateway'>);
  /**
   * Alert rules, listed at `GET /v1/alerts` and evaluated in this process unless `services` is false;
   * the caller owns `state`.
   */
  alerts?: AlertServiceOptions;
  /** The span store the tracing writes, read by `GET /v1/runs/{id}/spans`. */
  spans?: SpanStore;
}

/** A server that is listening. */
export interface RunningServer {
  /** `http://host:port` */
  url: string;
  port: number;
  context: ServerContext;
  /** Stops the services and the socket (the engine, control store and gateway stay open). */
  close(): Promise<void>;
}

/**
 * Starts the API server.
 * @throws BatonError `INVALID_ARGUMENT` when the port cannot be listened on
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const hostname = options.hostname ?? '127.0.0.1';
  const port = options.port ?? 3000;
  const context: ServerContext = {
    baton: options.baton,
    control: options.control,
    ...(options.gateway ? { gateway: options.gateway } : {}),
    ...(options.spans ? { spans: options.spans } : {}),
    now: options.now ?? Date.now,
    triggers: { fire: async () => [] },
  };
  context.triggers = createEventTriggers(context);
  if (options.metrics !== false) {
    const { token = process.env.BATON_METRICS_TOKEN, ...settings } = options.metrics ?? {};
    const exporter = createMetrics({
      baton: options.baton,
      ...(options.gateway ? { gateway: options.gateway } : {}),
      ...settings,
    });
    context.metrics = { exporter, ...(token ? { token } : {}) };
  }
  if (options.alerts) context.alerts = { rules: options.alerts.rules, state: options.alerts.state };
  const app = createApiApp(context, options.api);
  const server = serve({ fetch: app.fetch, port, hostname });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', (err: Error) =>
      reject(
        new BatonError('INVALID_ARGUMENT', `cannot listen on ${hostname}:${port}: ${err.message}`, {
          hint: 'Choose another --port',
          cause: err,
        }),
      ),
    );
  }).catch(async (err: unknown) => {
    await context.metrics?.exporter.close();
    throw err;
  });
  const services =
    options.services === false
      ? undefined
      : startServices(
          context,
          options.services === true || options.services === undefined ? {} : options.services,
        );
  // Alerts are a background service too: `services: false` (`--no-services`) leaves them to another server.
  const alerts =
    options.alerts && options.services !== false
      ? startAlertService(context, { now: context.now, ...options.alerts })
      : undefined;
  const address = server.address() as AddressInfo;
  return {
    url: `http://${hostname}:${address.port}`,
    port: address.port,
    context,
    async close() {
      await services?.stop();
      await alerts?.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await context.metrics?.exporter.close();
    },
  };
}

/**
 * Creates the first admin key (tenant `default`) when the store has no key at all, and returns it with
 * its secret, to print once. Undefined when keys exist.
 */
export async function ensureFirstAdminKey(control: ControlStore): Promise<CreatedApiKey | undefined> {
  if (!(await control.hasNoKeys())) return undefined;
  return control.createKey({ tenant: 'default', name: 'first admin key', roles: ['admin'] });
}
