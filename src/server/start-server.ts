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
    now: options.now ?? Date.now,
    triggers: { fire: async () => [] },
  };
  context.triggers = createEventTriggers(context);
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
  });
  const services =
    options.services === false
      ? undefined
      : startServices(
          context,
          options.services === true || options.services === undefined ? {} : options.services,
        );
  const address = server.address() as AddressInfo;
  return {
    url: `http://${hostname}:${address.port}`,
    port: address.port,
    context,
    async close() {
      await services?.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
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
