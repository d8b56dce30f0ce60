/**
 * The floor of the gateway benchmark: a proxy that does nothing but forward, on the same stack as
 * the gateway (Hono on @hono/node-server, undici to the upstream), in its own process. What it adds
 * over calling the upstream directly is what any policy-free Node proxy costs on this machine; the
 * gateway's own cost is what it adds beyond this.
 *
 *   npx tsx bench/gateway-floor-server.ts http://127.0.0.1:PORT   # prints its url
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { Pool } from 'undici';

const upstreamUrl = process.argv[2];
if (!upstreamUrl) {
  console.error('usage: tsx bench/gateway-floor-server.ts <upstream base URL>');
  process.exit(2);
}

const pool = new Pool(upstreamUrl, { connections: 128 });
const app = new Hono();
app.post('/v1/chat/completions', async (c) => {
  const upstream = await pool.request({
    path: '/v1/chat/completions',
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench-upstream' },
    body: (await c.req.text()).replace('"model":"fast"', '"model":"gpt-4o-mini"'),
  });
  return c.body(await upstream.body.text(), upstream.statusCode as 200, {
    'content-type': 'application/json',
  });
});
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
await new Promise<void>((resolve) => server.once('listening', () => resolve()));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

function close(): void {
  if ('closeAllConnections' in server) server.closeAllConnections();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(1), 5_000).unref();
}
process.on('SIGTERM', close);
process.on('SIGINT', close);
if (process.send) {
  process.on('disconnect', close);
  process.send({ ready: { url, secret: 'none' } });
} else {
  console.log(url);
}
