import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { describe, expect, it } from 'vitest';
import type { Run } from '../../src/core/types.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { openSqliteLedger } from '../../src/gateway/ledger/index.js';
import { createApiApp } from '../../src/server/app/index.js';
import { fastRouteTo } from '../gateway/harness.js';
import { tempDir } from '../helpers.js';
import { useApiHarness } from './api-harness.js';

const open = useApiHarness();

/** Serves `fetch` on a loopback port for the duration of `body`. */
async function onSocket(
  fetchApp: (req: Request) => Response | Promise<Response>,
  body: (url: string) => Promise<void>,
) {
  const server = serve({ fetch: fetchApp, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  try {
    await body(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('API over a real socket', () => {
  it('submits a run, follows its event stream to the end, and reads it back', async () => {
    const h = await open();
    const key = await h.keyFor('developer');
    await onSocket(h.app.fetch, async (url) => {
      const auth = { authorization: `Bearer ${key}` };
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const submitted = await fetch(`${url}/v1/runs`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': 'sock-1' },
        body: JSON.stringify({ workflow: 'echo', input: { via: 'socket' } }),
      });
      expect(submitted.status).toBe(202);
      const run = (await submitted.json()) as Run;
      const stream = await fetch(`${url}/v1/runs/${run.id}/events`, { headers: auth });
      expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/);
      const text = await stream.text();
      expect(text).toContain('event: run-succeeded');
      expect(text.trimEnd().endsWith(`data: ${JSON.stringify({ runId: run.id, status: 'succeeded' })}`)).toBe(
        true,
      );
      const got = (await (await fetch(`${url}/v1/runs/${run.id}`, { headers: auth })).json()) as Run;
      expect(got).toMatchObject({ status: 'succeeded', output: { echo: { echoed: { via: 'socket' } } } });
      const bad = await fetch(`${url}/v1/runs`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: '{"workflow": "echo", ',
      });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
    });
  });

  it('mounts the gateway routes with their own keys beside the API', async () => {
    const h = await open({ worker: false });
    const dir = tempDir();
    const ledger = await openSqliteLedger({ path: join(dir.dir, 'gateway.db') });
    const gateway = Gateway.open({ config: fastRouteTo('http://127.0.0.1:9'), ledger });
    try {
      const { secret: gatewayKey } = await ledger.createKey({ tenant: 'acme', name: 'gw' });
      const apiKey = await h.keyFor('viewer');
      const app = createApiApp({ ...h.ctx, gateway }, { rateLimit: false });
      await onSocket(app.fetch, async (url) => {
        const models = await fetch(`${url}/v1/models`, {
          headers: { authorization: `Bearer ${gatewayKey}` },
        });
        expect(models.status).toBe(200);
        expect(await models.json()).toMatchObject({ object: 'list' });
        const runs = await fetch(`${url}/v1/runs`, { headers: { authorization: `Bearer ${apiKey}` } });
        expect(runs.status).toBe(200);
        const crossed = await fetch(`${url}/v1/runs`, { headers: { authorization: `Bearer ${gatewayKey}` } });
        expect(crossed.status).toBe(401);
        expect((await fetch(`${url}/healthz`)).status).toBe(200);
      });
    } finally {
      await gateway.close();
      await ledger.close();
      dir.cleanup();
    }
  });
});
