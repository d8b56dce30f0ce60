/**
 * A gateway under test: fake upstreams on loopback, a SQLite ledger in a temp dir, the gateway,
 * and its HTTP app on a real socket. Everything is real except the model providers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Gateway, type GatewayOptions } from '../../src/gateway/gateway.js';
import { createGatewayApp } from '../../src/gateway/http/gateway-app.js';
import type { GatewayLedger } from '../../src/gateway/ledger/index.js';
import { openSqliteLedger } from '../../src/gateway/ledger/index.js';

/** A running gateway. */
export interface GatewayHarness {
  gateway: Gateway;
  ledger: GatewayLedger;
  /** `http://127.0.0.1:<port>/v1` */
  baseURL: string;
  /** A key of tenant `acme` allowed every model, no limits. */
  secret: string;
  dir: string;
  close(): Promise<void>;
}

/** Starts a gateway with `config` (its `providers` usually point at fakes). */
export async function startGateway(
  config: unknown,
  options: Partial<GatewayOptions> = {},
): Promise<GatewayHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-gw-'));
  const ledger = options.ledger ?? (await openSqliteLedger({ path: join(dir, 'gateway.db') }));
  const gateway = Gateway.open({ ...options, config, ledger });
  const app = createGatewayApp(gateway);
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const { secret } = await ledger.createKey({ tenant: 'acme', name: 'test' });
  return {
    gateway,
    ledger,
    baseURL: `http://127.0.0.1:${port}/v1`,
    secret,
    dir,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.close();
      await ledger.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A config with one route, `fast`, to `openai/gpt-4o-mini` at an OpenAI upstream, and no retries. */
export function fastRouteTo(upstreamUrl: string) {
  return {
    providers: { openai: { kind: 'openai', baseUrl: `${upstreamUrl}/v1`, apiKey: 'sk' } },
    routes: { fast: { targets: [{ model: 'openai/gpt-4o-mini' }] } },
    retries: { attempts: 0, baseMs: 1, maxMs: 1, maxRetryAfterMs: 0 },
  };
}
