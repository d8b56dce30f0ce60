/**
 * The conformance suite of the {@link GatewayLedger} port. Every adapter runs it unchanged; a skip must
 * state its reason. What only one adapter can show (its raw tables, its migrations) stays in that
 * adapter's test file. The spend and request-log sections live in `conformance-usage.ts`.
 * @example
 * ledgerConformance('my-adapter', async () => {
 *   const db = await makeEmptyDatabase();
 *   return { open: (options) => openMyLedger({ ...options, url: db.url }), cleanup: db.drop };
 * });
 * @module
 */
import { describe, expect } from 'vitest';
import { adapterHarness } from '../../testing/adapter-conformance.js';
import { aggregateCases } from './conformance-aggregates.js';
import {
  type ConformanceHarness,
  HOUR,
  type LedgerConformanceSkip,
  type LedgerStorage,
  request,
  T0,
} from './conformance-harness.js';
import { requestLogCases, spendCases } from './conformance-usage.js';
import { periodStart } from './periods.js';

export type { LedgerConformanceSkip, LedgerStorage } from './conformance-harness.js';

/**
 * Runs the GatewayLedger conformance suite against the adapter whose fresh storage `storage` makes
 * (called once per test).
 */
export function ledgerConformance(
  name: string,
  storage: () => Promise<LedgerStorage>,
  options: { skip?: LedgerConformanceSkip[] } = {},
): void {
  describe(`GatewayLedger conformance: ${name}`, () => {
    const harness: ConformanceHarness = adapterHarness(storage, options.skip, T0);
    const { test, open, clock } = harness;

    describe('keys', () => {
      test('a created key is found by its secret', async () => {
        const ledger = await open();
        const { key, secret } = await ledger.createKey({ tenant: 'acme', name: 'ci' });
        expect(secret).toMatch(/^bvk_[0-9A-Za-z]{8}_[0-9A-Za-z]{40,}$/);
        expect(key).toEqual({
          id: secret.slice(4, 12),
          prefix: secret.slice(0, 12),
          tenant: 'acme',
          name: 'ci',
          allowedModels: [],
          budgets: [],
          rateLimits: {},
          createdAt: T0,
        });
        expect(await ledger.findKeyBySecret(secret)).toEqual(key);
      });

      test('the secret is handed out once and never listed', async () => {
        const ledger = await open();
        const a = await ledger.createKey({ tenant: 'acme', name: 'a' });
        const b = await ledger.createKey({ tenant: 'acme', name: 'b' });
        expect(a.secret).not.toBe(b.secret);
        expect(a.key.id).not.toBe(b.key.id);
        const listed = JSON.stringify(await ledger.listKeys());
        expect(listed).not.toContain(a.secret.slice(13));
        expect(listed).not.toContain(b.secret.slice(13));
      });

      test('unknown, wrong and malformed secrets find nothing', async () => {
        const ledger = await open();
        const { secret } = await ledger.createKey({ tenant: 'acme', name: 'ci' });
        const wrongRandom = `${secret.slice(0, 13)}${'x'.repeat(43)}`;
        const unknownId = `bvk_zzzzzzzz_${secret.slice(13)}`;
        const malformed = [
          '',
          'bvk_',
          secret.slice(0, 40),
          `${secret}!`,
          `sk-${secret.slice(4)}`,
          secret.replace('bvk_', 'BVK_'),
          `${secret}${'a'.repeat(200)}`,
        ];
        for (const s of [wrongRandom, unknownId, ...malformed]) {
          expect(await ledger.findKeyBySecret(s), s).toBeUndefined();
        }
        expect(await ledger.findKeyBySecret(secret)).toBeDefined();
      });

      test('a revoked key finds nothing and stays listed as revoked', async () => {
        const ledger = await open();
        const { key, secret } = await ledger.createKey({ tenant: 'acme', name: 'ci' });
        clock.t += 1000;
        expect(await ledger.revokeKey(key.id)).toEqual({ ...key, revokedAt: T0 + 1000 });
        expect(await ledger.findKeyBySecret(secret)).toBeUndefined();
        clock.t += 1000;
        // Revoking again keeps the first time.
        expect((await ledger.revokeKey(key.id))?.revokedAt).toBe(T0 + 1000);
        expect(await ledger.listKeys()).toEqual([{ ...key, revokedAt: T0 + 1000 }]);
        expect(await ledger.revokeKey('nosuchid')).toBeUndefined();
      });

      test('an expired key finds nothing from its expiry on', async () => {
        const ledger = await open();
        const { key, secret } = await ledger.createKey({ tenant: 'acme', name: 'ci', expiresAt: T0 + HOUR });
        expect(key.expiresAt).toBe(T0 + HOUR);
        clock.t = T0 + HOUR - 1;
        expect(await ledger.findKeyBySecret(secret)).toEqual(key);
        clock.t = T0 + HOUR;
        expect(await ledger.findKeyBySecret(secret)).toBeUndefined();
        expect(await ledger.listKeys()).toEqual([key]);
      });

      test('keys are listed per tenant, oldest first', async () => {
        const ledger = await open();
        const a1 = (await ledger.createKey({ tenant: 'a', name: 'one' })).key;
        clock.t += 1;
        const b1 = (await ledger.createKey({ tenant: 'b', name: 'one' })).key;
        clock.t += 1;
        const a2 = (await ledger.createKey({ tenant: 'a', name: 'two' })).key;
        expect(await ledger.listKeys({ tenant: 'a' })).toEqual([a1, a2]);
        expect(await ledger.listKeys({ tenant: 'b' })).toEqual([b1]);
        expect(await ledger.listKeys({ tenant: 'c' })).toEqual([]);
        expect(await ledger.listKeys()).toEqual([a1, b1, a2]);
      });

      test('allowed models, budgets and rate limits round-trip', async () => {
        const ledger = await open();
        const input = {
          tenant: 'acme',
          name: 'limited',
          allowedModels: ['fast', 'smart'],
          budgets: [
            { period: 'day' as const, usd: 1.5 },
            { period: 'month' as const, usd: 20 },
            { period: 'total' as const, usd: 100 },
          ],
          rateLimits: { requestsPerMinute: 60, tokensPerMinute: 100_000 },
        };
        const { key, secret } = await ledger.createKey(input);
        expect(key).toMatchObject({
          allowedModels: input.allowedModels,
          budgets: input.budgets,
          rateLimits: input.rateLimits,
        });
        expect(await ledger.findKeyBySecret(secret)).toEqual(key);
        expect(await ledger.listKeys({ tenant: 'acme' })).toEqual([key]);
      });

      test('invalid key requests are refused with INVALID_ARGUMENT', async () => {
        const ledger = await open();
        const bad = [
          { tenant: '', name: 'x' },
          { tenant: 'acme', name: '' },
          { tenant: 'acme', name: 'x', budgets: [{ period: 'year' as 'day', usd: 1 }] },
          { tenant: 'acme', name: 'x', budgets: [{ period: 'day' as const, usd: -1 }] },
          { tenant: 'acme', name: 'x', rateLimits: { requestsPerMinute: 0 } },
          { tenant: 'acme', name: 'x', expiresAt: Number.NaN },
        ];
        for (const input of bad) {
          await expect(ledger.createKey(input), JSON.stringify(input)).rejects.toMatchObject({
            code: 'INVALID_ARGUMENT',
          });
        }
        expect(await ledger.listKeys()).toEqual([]);
      });
    });

    spendCases(harness);
    requestLogCases(harness);
    aggregateCases(harness);

    describe('lifecycle', () => {
      test('what one ledger wrote, the next one opened on the same storage reads', async () => {
        const first = await open();
        const { key, secret } = await first.createKey({
          tenant: 'acme',
          name: 'ci',
          budgets: [{ period: 'day', usd: 5 }],
        });
        await first.recordSpend([{ scope: 'key', scopeId: key.id, at: T0, usd: 0.5 }]);
        await first.appendRequests([request('a', T0, { keyId: key.id })]);
        await first.close();
        const second = await open(true);
        expect(await second.findKeyBySecret(secret)).toEqual(key);
        expect(await second.spentSince('key', key.id, periodStart('day', T0))).toBe(0.5);
        expect((await second.listRequests({ keyId: key.id })).entries.map((e) => e.id)).toEqual(['a']);
        // Opening again does not migrate twice nor lose anything.
        const third = await open(true);
        expect(await third.listKeys()).toEqual([key]);
      });

      test('a closed ledger refuses work with STORE_UNAVAILABLE; closing twice is fine', async () => {
        const ledger = await open();
        await ledger.close();
        await ledger.close();
        await expect(ledger.listKeys()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
        await expect(ledger.findKeyBySecret('bvk_')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
        await expect(ledger.pruneRequests(T0)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      });
    });
  });
}
