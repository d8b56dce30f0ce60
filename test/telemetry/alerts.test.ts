/**
 * Alerts under an injected clock: each default rule fires once while its condition holds and resolves
 * when it clears, notifying a real loopback HTTP receiver with a Slack-compatible payload linking example
 * runs; two services sharing the state notify once; `GET /v1/alerts` lists rules, states and history.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { createApiApp } from '../../src/server/app/index.js';
import type { ServerContext } from '../../src/server/context.js';
import { openSqliteControlStore } from '../../src/server/control/index.js';
import { type AlertService, startAlertService } from '../../src/telemetry/alerts/alert-service.js';
import type { AlertNotification } from '../../src/telemetry/alerts/notify.js';
import { type AlertRule, DEFAULT_ALERT_RULES, parseAlertsConfig } from '../../src/telemetry/alerts/rules.js';
import { openSqliteAlertState } from '../../src/telemetry/alerts/sqlite-alert-state.js';
import type { AlertStateStore } from '../../src/telemetry/alerts/state-port.js';
import { openTelemetryFixture, type TelemetryFixture } from './telemetry-fixture.js';

const T = Date.UTC(2026, 10, 21, 12);
const S = 1000;
const MIN = 60 * S;

/** A loopback receiver keeping every JSON body POSTed to it. */
async function openReceiver(): Promise<{
  url: string;
  received: AlertNotification[];
  close(): Promise<void>;
}> {
  const received: AlertNotification[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push(JSON.parse(body) as AlertNotification);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Setup {
  fx: TelemetryFixture;
  state: AlertStateStore;
  service: AlertService;
  received: AlertNotification[];
  errors: unknown[];
  /** Moves the clock to `at` and evaluates once. */
  tickAt(at: number): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

const rule = (id: string): AlertRule => {
  const found = DEFAULT_ALERT_RULES.find((r) => r.id === id);
  if (!found) throw new Error(`no default rule ${id}`);
  return found;
};

async function setup(rules: AlertRule[]): Promise<Setup> {
  const fx = await openTelemetryFixture(T);
  const receiver = await openReceiver();
  const state = openSqliteAlertState({ path: join(fx.dataDir, 'baton.db') });
  const errors: unknown[] = [];
  const service = startAlertService(
    { baton: fx.baton, gateway: { ledger: fx.ledger } },
    {
      rules,
      state,
      webhooks: [receiver.url],
      baseUrl: 'http://baton.test/',
      now: () => fx.clock.t,
      // Evaluations are driven by tick(): the interval never elapses within a test.
      intervalMs: 3_600_000,
      onError: (e) => errors.push(e),
    },
  );
  cleanups.push(async () => {
    await service.stop();
    await state.close();
    await receiver.close();
    await fx.close();
  });
  return {
    fx,
    state,
    service,
    received: receiver.received,
    errors,
    async tickAt(at) {
      fx.clock.t = at;
      await service.tick();
    },
  };
}

/** The statuses notified so far, in order. */
const statuses = (s: Setup) => s.received.map((n) => n.baton.status);

describe('default alert rules', () => {
  test('success rate below 95% over 5 minutes', async () => {
    const s = await setup([rule('success-rate')]);
    const ok = await s.fx.finishRun({ at: T, durationMs: S });
    const failed = await s.fx.finishRun({ at: T + S, durationMs: S, fail: true });
    expect([ok.status, failed.status]).toEqual(['succeeded', 'failed']);
    await s.fx.finishRun({ at: T + 2 * S, durationMs: S });
    await s.tickAt(T + MIN);
    expect(statuses(s)).toEqual(['firing']);
    const [fired] = s.received;
    expect(fired?.text).toContain('FIRING success-rate · default/triage');
    expect(fired?.text).toContain('66.7%');
    expect(fired?.blocks).toHaveLength(2);
    expect(fired?.baton).toMatchObject({
      status: 'firing',
      ruleId: 'success-rate',
      kind: 'success-rate',
      tenant: 'default',
      subject: 'triage',
      threshold: 0.95,
      window: '5m',
      since: T + MIN,
      exampleRuns: [{ id: failed.id, url: `http://baton.test/runs/${failed.id}` }],
    });
    expect(fired?.baton.value).toBeCloseTo(2 / 3, 10);

    // Still failing: no second notification.
    await s.tickAt(T + 2 * MIN);
    await s.tickAt(T + 3 * MIN);
    expect(statuses(s)).toEqual(['firing']);

    // The failure leaves the window, successes only: resolved, once.
    await s.fx.finishRun({ at: T + 6 * MIN, durationMs: S });
    await s.tickAt(T + 7 * MIN);
    await s.tickAt(T + 8 * MIN);
    expect(statuses(s)).toEqual(['firing', 'resolved']);
    expect(s.received[1]?.text).toContain('RESOLVED success-rate');
    expect(s.received[1]?.baton.value).toBe(1);

    // It can fire again after resolving.
    await s.fx.finishRun({ at: T + 9 * MIN, durationMs: S, fail: true });
    await s.tickAt(T + 10 * MIN);
    expect(statuses(s)).toEqual(['firing', 'resolved', 'firing']);
    expect(s.errors).toEqual([]);
  });

  test('p95 run duration above 30 s over 10 minutes', async () => {
    const s = await setup([rule('run-duration-p95')]);
    await s.fx.finishRun({ at: T, durationMs: S });
    const slow = await s.fx.finishRun({ at: T + S, durationMs: 45 * S });
    await s.tickAt(T + 2 * MIN);
    await s.tickAt(T + 3 * MIN);
    expect(statuses(s)).toEqual(['firing']);
    expect(s.received[0]?.baton).toMatchObject({ value: 45_000, threshold: 30_000, subject: 'triage' });
    expect(s.received[0]?.baton.exampleRuns[0]?.id).toBe(slow.id);
    expect(s.received[0]?.text).toContain('p95 run duration 45.0 s over 10m');

    await s.fx.finishRun({ at: T + 11 * MIN, durationMs: 2 * S });
    await s.tickAt(T + 12 * MIN);
    expect(statuses(s)).toEqual(['firing', 'resolved']);
    expect(s.received[1]?.baton.value).toBe(2000);
  });

  test('p95 tokens per run above twice the baseline of the previous 24 hours, over 15 minutes', async () => {
    const s = await setup([rule('tokens-p95')]);
    for (let i = 0; i < 5; i++) {
      await s.fx.finishRun({
        at: T - 3 * 3_600_000 + i * MIN,
        durationMs: S,
        calls: [{ stepId: 'work', tokens: 100 }],
      });
    }
    // The baseline is read at the first evaluation: p95 = 100 tokens.
    await s.tickAt(T);
    await s.fx.finishRun({ at: T + MIN, durationMs: S, calls: [{ stepId: 'work', tokens: 150 }] });
    await s.tickAt(T + 2 * MIN);
    expect(statuses(s)).toEqual([]);
    const heavy = await s.fx.finishRun({
      at: T + 3 * MIN,
      durationMs: S,
      calls: [{ tokens: 200 }, { tokens: 150 }],
    });
    await s.tickAt(T + 4 * MIN);
    await s.tickAt(T + 5 * MIN);
    expect(statuses(s)).toEqual(['firing']);
    expect(s.received[0]?.baton).toMatchObject({ value: 350, threshold: 200 });
    expect(s.received[0]?.baton.exampleRuns.map((r) => r.id)).toEqual([heavy.id, expect.any(String)]);

    await s.fx.finishRun({ at: T + 19 * MIN, durationMs: S, calls: [{ tokens: 120 }] });
    await s.tickAt(T + 20 * MIN);
    expect(statuses(s)).toEqual(['firing', 'resolved']);
  });

  test('model error rate above 5% over 5 minutes, from the request log', async () => {
    const s = await setup([rule('model-error-rate')]);
    await s.fx.logCalls(
      T,
      Array.from({ length: 18 }, () => ({ route: 'fast' })),
    );
    const failing = await s.fx.finishRun({
      at: T + S,
      durationMs: S,
      calls: [{ route: 'fast', status: 'error' }],
    });
    await s.fx.logCalls(T + 2 * S, [{ route: 'fast', status: 'error' }, { route: 'smart' }]);
    await s.tickAt(T + MIN);
    await s.tickAt(T + 2 * MIN);
    expect(statuses(s)).toEqual(['firing']);
    expect(s.received[0]?.baton).toMatchObject({
      subject: 'fast',
      value: 0.1,
      threshold: 0.05,
      tenant: 'default',
    });
    expect(s.received[0]?.baton.exampleRuns.map((r) => r.id)).toEqual([failing.id]);

    await s.fx.logCalls(T + 6 * MIN, [{ route: 'fast' }]);
    await s.tickAt(T + 7 * MIN);
    expect(statuses(s)).toEqual(['firing', 'resolved']);
    expect(s.received[1]?.baton.value).toBe(0);
  });

  test('model error rate: example runs are found among many newer calls of other aliases', async () => {
    const s = await setup([rule('model-error-rate')]);
    await s.fx.logCalls(
      T,
      Array.from({ length: 18 }, () => ({ route: 'fast' })),
    );
    const failing = await s.fx.finishRun({
      at: T + S,
      durationMs: S,
      calls: [{ route: 'fast', status: 'error' }],
    });
    await s.fx.logCalls(T + 2 * S, [{ route: 'fast', status: 'error' }]);
    // Newer than the failure: more successful calls of another alias than a page of the log holds.
    await s.fx.logCalls(
      T + 3 * S,
      Array.from({ length: 250 }, () => ({ route: 'smart' })),
    );
    await s.tickAt(T + MIN);
    expect(statuses(s)).toEqual(['firing']);
    expect(s.received[0]?.baton).toMatchObject({ subject: 'fast', value: 0.1 });
    expect(s.received[0]?.baton.exampleRuns.map((r) => r.id)).toEqual([failing.id]);
  });

  test('a run above 5× the p99 cost of the previous 24 hours', async () => {
    const s = await setup([rule('run-cost-outlier')]);
    for (let i = 0; i < 20; i++) {
      await s.fx.finishRun({
        at: T - 5 * 3_600_000 + i * MIN,
        durationMs: S,
        calls: [{ stepId: 'work', costUsd: 0.01 }],
      });
    }
    await s.tickAt(T);
    await s.fx.finishRun({ at: T + MIN, durationMs: S, calls: [{ stepId: 'work', costUsd: 0.04 }] });
    const costly = await s.fx.finishRun({
      at: T + 2 * MIN,
      durationMs: S,
      calls: [{ stepId: 'work', costUsd: 0.2 }],
    });
    await s.tickAt(T + 3 * MIN);
    await s.tickAt(T + 4 * MIN);
    expect(statuses(s)).toEqual(['firing']);
    expect(s.received[0]?.baton.exampleRuns.map((r) => r.id)).toEqual([costly.id]);
    expect(s.received[0]?.baton.value).toBeCloseTo(0.2, 10);
    expect(s.received[0]?.baton.threshold).toBeCloseTo(0.05, 10);

    await s.fx.finishRun({ at: T + 8 * MIN, durationMs: S, calls: [{ stepId: 'work', costUsd: 0.01 }] });
    await s.tickAt(T + 9 * MIN);
    expect(statuses(s)).toEqual(['firing', 'resolved']);
  });

  test('all the defaults on a healthy system notify nothing', async () => {
    const s = await setup([...DEFAULT_ALERT_RULES]);
    for (let i = 0; i < 3; i++)
      await s.fx.finishRun({ at: T + i * S, durationMs: S, calls: [{ tokens: 10, costUsd: 0.01 }] });
    await s.tickAt(T + MIN);
    expect(s.received).toEqual([]);
    expect(s.errors).toEqual([]);
  });
});

describe('alert service', () => {
  test('an alert whose rule left the config resolves quietly instead of staying firing', async () => {
    const s = await setup([rule('success-rate')]);
    await s.fx.finishRun({ at: T, durationMs: S, fail: true });
    await s.tickAt(T + MIN);
    expect(statuses(s)).toEqual(['firing']);
    // The config changes: a service with no rules takes over the shared state.
    const quiet = startAlertService(
      { baton: s.fx.baton, gateway: { ledger: s.fx.ledger } },
      { rules: [], state: s.state, webhooks: [], now: () => s.fx.clock.t, intervalMs: 3_600_000 },
    );
    cleanups.push(() => quiet.stop());
    s.fx.clock.t = T + 2 * MIN;
    await quiet.tick();
    expect((await s.state.listStates()).map((a) => a.status)).toEqual(['resolved']);
    expect(statuses(s)).toEqual(['firing']);
  });

  test('two services sharing the state notify once per change', async () => {
    const s = await setup([rule('success-rate')]);
    const second = openSqliteAlertState({ path: join(s.fx.dataDir, 'baton.db') });
    const other = startAlertService(
      { baton: s.fx.baton, gateway: { ledger: s.fx.ledger } },
      {
        rules: [rule('success-rate')],
        state: second,
        notify: async (n) => {
          s.received.push(n);
        },
        now: () => s.fx.clock.t,
        intervalMs: 3_600_000,
      },
    );
    cleanups.push(async () => {
      await other.stop();
      await second.close();
    });
    await s.fx.finishRun({ at: T, durationMs: S, fail: true });
    s.fx.clock.t = T + MIN;
    await Promise.all([s.service.tick(), other.tick(), s.service.tick(), other.tick()]);
    expect(statuses(s)).toEqual(['firing']);
    await s.fx.finishRun({ at: T + 10 * MIN, durationMs: S });
    s.fx.clock.t = T + 11 * MIN;
    await Promise.all([s.service.tick(), other.tick()]);
    expect(statuses(s)).toEqual(['firing', 'resolved']);
  });

  test('a receiver that fails is reported; the change is not notified twice', async () => {
    const s = await setup([rule('success-rate')]);
    const failing = startAlertService(
      { baton: s.fx.baton },
      {
        rules: [rule('success-rate')],
        state: s.state,
        webhooks: ['http://127.0.0.1:9/none'],
        now: () => s.fx.clock.t,
        intervalMs: 3_600_000,
        onError: (e) => s.errors.push(e),
      },
    );
    cleanups.push(() => failing.stop());
    await s.fx.finishRun({ at: T, durationMs: S, fail: true });
    s.fx.clock.t = T + MIN;
    await failing.tick();
    await s.service.tick();
    expect(s.errors).toHaveLength(1);
    expect(String(s.errors[0])).toContain('alert notification not delivered');
    expect(s.received).toEqual([]);
  });

  test('rules config: defaults merged by id, disabled rules dropped, invalid files refused', () => {
    const config = parseAlertsConfig({
      webhooks: ['https://hooks.example.com/a'],
      rules: [
        { id: 'success-rate', kind: 'success-rate', below: 0.9, window: '10m' },
        { id: 'model-error-rate', kind: 'model-error-rate', above: 0.05, window: '5m', disabled: true },
        { id: 'slow-billing', kind: 'run-duration', workflow: 'billing', aboveMs: 120_000, window: '30m' },
      ],
    });
    expect(config.rules.map((r) => r.id)).toEqual([
      'success-rate',
      'run-duration-p95',
      'tokens-p95',
      'run-cost-outlier',
      'slow-billing',
    ]);
    expect(config.rules[0]).toMatchObject({ below: 0.9, window: '10m' });
    expect(parseAlertsConfig({ defaults: false }).rules).toEqual([]);
    expect(() =>
      parseAlertsConfig({ rules: [{ id: 'x', kind: 'success-rate', window: 'soon', below: 1 }] }),
    ).toThrow(/rules\.0\.window/);
    // The error rate is measured per model alias: a workflow filter would be silently ignored.
    expect(() =>
      parseAlertsConfig({
        rules: [{ id: 'x', kind: 'model-error-rate', workflow: 'billing', above: 0.1, window: '5m' }],
      }),
    ).toThrow(/rules\.0\.workflow: a model-error-rate rule watches model aliases/);
  });
});

describe('GET /v1/alerts', () => {
  test('rules with the caller tenant’s alerts and history', async () => {
    const s = await setup([rule('success-rate'), rule('run-duration-p95')]);
    const failed = await s.fx.finishRun({ at: T, durationMs: S, fail: true });
    await s.fx.finishRun({ at: T, durationMs: S, fail: true, tenant: 'other' });
    await s.tickAt(T + MIN);
    const control = await openSqliteControlStore({ path: join(s.fx.dataDir, 'control.db') });
    cleanups.push(() => control.close());
    const ctx: ServerContext = {
      baton: s.fx.baton,
      control,
      now: () => s.fx.clock.t,
      triggers: { fire: async () => [] },
      alerts: { rules: [rule('success-rate'), rule('run-duration-p95')], state: s.state },
    };
    const app = createApiApp(ctx, { rateLimit: false, logError: () => {} });
    const { secret } = await control.createKey({ tenant: 'default', name: 'viewer', roles: ['viewer'] });
    const res = await app.request('/v1/alerts', { headers: { authorization: `Bearer ${secret}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { id: string; alerts: unknown[] }[]; history: unknown[] };
    expect(body.data.map((r) => [r.id, r.alerts.length])).toEqual([
      ['success-rate', 1],
      ['run-duration-p95', 0],
    ]);
    expect(body.data[0]).toMatchObject({
      kind: 'success-rate',
      window: '5m',
      settings: { below: 0.95, minRuns: 1 },
      alerts: [{ key: 'success-rate|default|triage', status: 'firing', value: 0, exampleRuns: [failed.id] }],
    });
    expect(body.history).toHaveLength(1);
    expect(JSON.stringify(body)).not.toContain('other');
  });
});
