/**
 * A gateway under test: fake upstreams on loopback, a SQLite ledger in a temp dir, the gateway,
 * and its HTTP app on a real socket. Everything is real except the model providers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { Gateway, type GatewayOptions } from '../../src/gateway/gateway.js';
import { createGatewayApp } from '../../src/gateway/http/gateway-app.js';
import type { GatewayLedger } from '../../src/gateway/ledger/index.js';
import { openSqliteLedger } from '../../src/gateway/ledger/index.js';
import { type FakeOpenAI, startFakeOpenAI } from './fakes/index.js';

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

/** The fake upstream and the gateway routed to it, of {@link useFakeModel}. */
export interface FakeModel {
  /** The fake OpenAI upstream; its requests and script are reset before each test. */
  readonly up: FakeOpenAI;
  /** A gateway whose route `fast` goes to {@link FakeModel.up} (see {@link fastRouteTo}). */
  readonly gw: GatewayHarness;
}

/**
 * A fake OpenAI upstream and a gateway routed to it, for every test of the file (or `describe`) that
 * calls it: started before all of them, closed after, and with the upstream's recorded requests and
 * script cleared before each.
 * @example
 * const fake = useFakeModel();
 * it('answers', async () => {
 *   fake.up.setScript({ text: 'hi' });
 *   await fake.gw.gateway.chat({ model: 'fast', messages: [{ role: 'user', content: 'hello' }] });
 * });
 */
export function useFakeModel(): FakeModel {
  let up: FakeOpenAI | undefined;
  let gw: GatewayHarness | undefined;
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useFakeModel: read up or gw inside a test or hook');
    return value;
  };
  beforeAll(async () => {
    up = await startFakeOpenAI();
    gw = await startGateway(fastRouteTo(up.url));
  });
  afterAll(async () => {
    await gw?.close();
    await up?.close();
  });
  beforeEach(() => {
    started(up).requests.length = 0;
    started(up).setScript(undefined);
  });
  return {
    get up() {
      return started(up);
    },
    get gw() {
      return started(gw);
    },
  };
}
