/**
 * `GET /metrics` over the API app, in memory and on a real socket: the exposition's content type,
 * no API key needed, and the optional metrics token.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { workflow } from '../../src/core/builder.js';
import { createApiApp } from '../../src/server/app/index.js';
import type { ServerContext } from '../../src/server/context.js';
import { openSqliteControlStore } from '../../src/server/control/index.js';
import type { ControlStore } from '../../src/server/control/port.js';
import { startServer } from '../../src/server/start-server.js';
import { createMetrics } from '../../src/telemetry/metrics/index.js';
import { type TestBaton, tempDir, useEngines } from '../helpers.js';
import { parseExposition } from './exposition.js';

const engine = useEngines();
const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

let open: Array<{ close(): Promise<void> | void }> = [];
afterEach(async () => {
  for (const o of open.reverse()) await o.close();
  open = [];
});

async function setup(): Promise<{ baton: TestBaton; control: ControlStore }> {
  const baton = await engine();
  await baton.register(
    workflow({ name: 'echo', version: '1', input: z.object({}) })
      .step('s', { run: () => 1 })
      .build(),
  );
  const dir = tempDir();
  const control = await openSqliteControlStore({ path: join(dir.dir, 'control.db') });
  open.push({ close: dir.cleanup }, control);
  baton.worker({ pollMs: 5 });
  return { baton, control };
}

function appWith(baton: TestBaton, control: ControlStore, token?: string) {
  const exporter = createMetrics({ baton, cacheMs: 0 });
  open.push(exporter);
  const ctx: ServerContext = {
    baton,
    control,
    now: Date.now,
    triggers: { fire: async () => [] },
    metrics: { exporter, ...(token === undefined ? {} : { token }) },
  };
  return createApiApp(ctx, { rateLimit: false, logError: () => {} });
}

describe('GET /metrics', () => {
  it('answers 200 in the Prometheus text format without an API key', async () => {
    const { baton, control } = await setup();
    const app = appWith(baton, control);
    await baton.waitForRun((await baton.submit('echo', {})).id);
    const res = await app.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(PROMETHEUS_TEXT);
    const m = parseExposition(await res.text());
    expect(m.value('baton_runs_finished_total', { workflow: 'echo', status: 'succeeded' })).toBe(1);
  });

  it('asks for the metrics token as a bearer token when one is set', async () => {
    const { baton, control } = await setup();
    const app = appWith(baton, control, 's3cret');
    const none = await app.request('/metrics');
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    expect((await app.request('/metrics', { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const ok = await app.request('/metrics', { headers: { authorization: 'Bearer s3cret' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe(PROMETHEUS_TEXT);
  });

  it('answers 503 STORE_UNAVAILABLE when the stores cannot be read', async () => {
    const { baton, control } = await setup();
    const exporter = createMetrics({ baton, cacheMs: 0 });
    await exporter.close();
    const app = createApiApp(
      { baton, control, now: Date.now, triggers: { fire: async () => [] }, metrics: { exporter } },
      { logError: () => {} },
    );
    const res = await app.request('/metrics');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('STORE_UNAVAILABLE');
  });

  it('is not mounted without an exporter', async () => {
    const { baton, control } = await setup();
    const app = createApiApp(
      { baton, control, now: Date.now, triggers: { fire: async () => [] } },
      { logError: () => {} },
    );
    expect((await app.request('/metrics')).status).toBe(404);
  });

  it('is served by startServer on a real socket, and closed with it', async () => {
    const { baton, control } = await setup();
    const server = await startServer({ baton, control, port: 0, services: false, metrics: { token: '' } });
    try {
      await baton.waitForRun((await baton.submit('echo', {})).id);
      const res = await fetch(`${server.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(PROMETHEUS_TEXT);
      const m = parseExposition(await res.text());
      expect(m.value('baton_runs_finished_total', { workflow: 'echo', status: 'succeeded' })).toBe(1);
      expect(m.value('baton_queue_depth')).toBe(0);
    } finally {
      await server.close();
    }
  });
});
