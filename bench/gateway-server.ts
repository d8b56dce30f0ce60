/**
 * The gateway under benchmark, in a process of its own: a SQLite ledger in a temp dir, one route
 * `fast` → `openai/gpt-4o-mini` at the upstream given as the first argument, and every policy on
 * (key auth, key and tenant rate limits, key and tenant budgets, PII masking, request log with
 * bodies), with limits far above what the benchmark sends so that none refuses a call.
 *
 * Started by bench/gateway.ts over IPC (answers `{ ready: { url, secret } }`). Run alone:
 *   npx tsx bench/gateway-server.ts http://127.0.0.1:PORT   # prints `url secret`
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Gateway } from '../src/gateway/gateway.js';
import { createGatewayApp } from '../src/gateway/http/gateway-app.js';
import { openSqliteLedger } from '../src/gateway/ledger/index.js';

const upstreamUrl = process.argv[2];
if (!upstreamUrl) {
  console.error('usage: tsx bench/gateway-server.ts <upstream base URL, e.g. http://127.0.0.1:PORT>');
  process.exit(2);
}

/** Far above 1,000 requests/s for a minute, so the limiters run on every call but never refuse. */
const rateLimits = { requestsPerMinute: 1_000_000, tokensPerMinute: 1_000_000_000 };
const budgets = [{ period: 'day' as const, usd: 1_000_000 }];

const config = {
  providers: { openai: { kind: 'openai', baseUrl: `${upstreamUrl}/v1`, apiKey: 'sk-bench-upstream' } },
  routes: { fast: { targets: [{ model: 'openai/gpt-4o-mini' }] } },
  limits: { tenants: { bench: { ...rateLimits, budgets } } },
  pii: { mode: 'mask' },
  requestLog: { bodies: true },
};

const dir = mkdtempSync(join(tmpdir(), 'baton-bench-gw-'));
const ledger = await openSqliteLedger({ path: join(dir, 'gateway.db') });
const gateway = Gateway.open({ config, ledger });
const { secret } = await ledger.createKey({ tenant: 'bench', name: 'bench', rateLimits, budgets });
const server = serve({ fetch: createGatewayApp(gateway).fetch, port: 0, hostname: '127.0.0.1' });
await new Promise<void>((resolve) => server.once('listening', () => resolve()));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

let closing = false;
async function close(): Promise<void> {
  if (closing) return;
  closing = true;
  // Never outlive the benchmark, even if closing hangs.
  setTimeout(() => process.exit(1), 5_000).unref();
  // Keep-alive connections would hold server.close() open; the benchmark is over, drop them.
  if ('closeAllConnections' in server) server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await gateway.close();
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

process.on('SIGTERM', () => void close());
process.on('SIGINT', () => void close());
if (process.send) {
  process.on('disconnect', () => void close());
  process.send({ ready: { url, secret } });
} else {
  console.log(`${url} ${secret}`);
}
