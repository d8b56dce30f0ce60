/**
 * The conformance suite of the {@link AlertStateStore} port, run unchanged against every adapter.
 * @example
 * alertStateConformance('sqlite', async () => ({ state: openSqliteAlertState({ path }), cleanup }));
 * @module
 */
import { describe, expect, test } from 'vitest';
import type { AlertState, AlertStateStore } from './state-port.js';

/** Fresh, empty storage for one test: two handles on it (two servers), and its cleanup. */
export interface AlertStateStorage {
  open(): Promise<AlertStateStore>;
  cleanup?: () => Promise<void> | void;
}

const firing = (key: string, tenant: string, since: number): AlertState => ({
  key,
  ruleId: key.split('|')[0] ?? key,
  tenant,
  subject: 'triage',
  status: 'firing',
  since,
  value: 0.5,
  threshold: 0.95,
  exampleRuns: ['run_1', 'run_2'],
});

/** Runs the suite against the adapter whose fresh storage `storage` makes (once per test). */
export function alertStateConformance(name: string, storage: () => Promise<AlertStateStorage>): void {
  describe(`AlertStateStore conformance: ${name}`, () => {
    const withStores = async (body: (a: AlertStateStore, b: AlertStateStore) => Promise<void>) => {
      const s = await storage();
      const a = await s.open();
      const b = await s.open();
      try {
        await body(a, b);
      } finally {
        await a.close();
        await b.close();
        await s.cleanup?.();
      }
    };

    test('a transition applies only from the status it names, and is logged once', async () => {
      await withStores(async (a, b) => {
        const fire = firing('success-rate|acme|triage', 'acme', 1000);
        const results = await Promise.all([
          a.transition({ from: undefined, to: fire }),
          b.transition({ from: undefined, to: fire }),
        ]);
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await b.listStates()).toEqual([fire]);
        expect(await a.transition({ from: 'resolved', to: { ...fire, since: 2000 } })).toBe(false);

        const resolved: AlertState = { ...fire, status: 'resolved', since: 3000, value: 1 };
        const again = await Promise.all([
          a.transition({ from: 'firing', to: resolved }),
          b.transition({ from: 'firing', to: resolved }),
        ]);
        expect(again.filter(Boolean)).toHaveLength(1);
        expect(await a.listStates()).toEqual([resolved]);
        const events = await a.listEvents();
        expect(events.map((e) => [e.status, e.since])).toEqual([
          ['resolved', 3000],
          ['firing', 1000],
        ]);
        expect(events[0]?.seq).toBeGreaterThan(events[1]?.seq ?? Number.POSITIVE_INFINITY);
        expect(events[1]).toMatchObject({ ...fire });
      });
    });

    test('states and history are listed per tenant', async () => {
      await withStores(async (a) => {
        await a.transition({ from: undefined, to: firing('x|acme|triage', 'acme', 1) });
        await a.transition({ from: undefined, to: firing('x|beta|triage', 'beta', 2) });
        expect((await a.listStates({ tenant: 'beta' })).map((s) => s.key)).toEqual(['x|beta|triage']);
        expect((await a.listEvents({ tenant: 'acme' })).map((e) => e.key)).toEqual(['x|acme|triage']);
        expect(await a.listEvents({ limit: 1 })).toHaveLength(1);
      });
    });
  });
}
