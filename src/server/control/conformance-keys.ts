/**
 * The API key and audit log sections of the {@link ControlStore} conformance suite.
 * @module
 */
import { describe, expect } from 'vitest';
import { type ConformanceHarness, expectInvalid, T0 } from './conformance-harness.js';
import type { AuditEntry, ControlStore, Role } from './port.js';

const newKey = (store: ControlStore, tenant = 'acme', roles: Role[] = ['developer']) =>
  store.createKey({ tenant, name: `${tenant} ci`, roles });

/** Tests of `createKey`, `findKeyBySecret`, `listKeys`, `revokeKey` and `hasNoKeys`. */
export function keyCases({ test, open, clock }: ConformanceHarness): void {
  describe('API keys', () => {
    test('createKey shows the secret once, bk_<id>_<secret>; findKeyBySecret finds its key', async () => {
      const store = await open();
      const { key, secret } = await store.createKey({
        tenant: 'acme',
        name: 'ci',
        roles: ['admin', 'viewer'],
      });
      expect(secret).toMatch(/^bk_[0-9A-Za-z]{8}_[0-9A-Za-z]{43}$/);
      expect(key).toEqual({
        id: secret.slice(3, 11),
        prefix: `bk_${secret.slice(3, 11)}`,
        tenant: 'acme',
        name: 'ci',
        roles: ['admin', 'viewer'],
        createdAt: T0,
      });
      expect(await store.findKeyBySecret(secret)).toEqual({ ...key, lastUsedAt: T0 });
      const listed = await store.listKeys();
      expect(listed).toEqual([{ ...key, lastUsedAt: T0 }]);
      expect(JSON.stringify(listed)).not.toContain(secret.slice(12));
      const other = await newKey(store);
      expect(other.secret).not.toBe(secret);
      expect(other.key.id).not.toBe(key.id);
    });

    test('wrong, malformed, unknown, revoked and expired secrets find nothing', async () => {
      const store = await open();
      const { key, secret } = await newKey(store);
      const last = secret.at(-1) === 'a' ? 'b' : 'a';
      const expiring = await store.createKey({
        tenant: 'acme',
        name: 'x',
        roles: ['viewer'],
        expiresAt: T0 + 1000,
      });
      for (const wrong of [
        `${secret.slice(0, -1)}${last}`,
        `bk_zzzzzzzz_${secret.slice(12)}`,
        `bvk_${secret.slice(3)}`,
        `${secret}\n`,
        secret.slice(0, 20),
        '',
        'bk_',
        42 as unknown as string,
      ]) {
        expect(await store.findKeyBySecret(wrong), JSON.stringify(wrong)).toBeUndefined();
      }
      expect(await store.findKeyBySecret(expiring.secret)).toBeDefined();
      clock.t = T0 + 1000;
      expect(await store.findKeyBySecret(expiring.secret), 'expired').toBeUndefined();
      await store.revokeKey('acme', key.id);
      expect(await store.findKeyBySecret(secret), 'revoked').toBeUndefined();
    });

    test('roles round-trip in their order, without repeats', async () => {
      const store = await open();
      const { key, secret } = await newKey(store, 'acme', ['viewer', 'approver', 'viewer']);
      expect(key.roles).toEqual(['viewer', 'approver']);
      expect((await store.findKeyBySecret(secret))?.roles).toEqual(['viewer', 'approver']);
      expect((await store.listKeys({ tenant: 'acme' }))[0]?.roles).toEqual(['viewer', 'approver']);
    });

    test('revokeKey acts within its tenant only, once', async () => {
      const store = await open();
      const { key, secret } = await newKey(store);
      expect(await store.revokeKey('globex', key.id)).toBeUndefined();
      expect(await store.revokeKey('acme', 'nokey123')).toBeUndefined();
      expect(await store.findKeyBySecret(secret)).toBeDefined();
      clock.t += 5;
      expect(await store.revokeKey('acme', key.id)).toMatchObject({ id: key.id, revokedAt: T0 + 5 });
      clock.t += 5;
      expect((await store.revokeKey('acme', key.id))?.revokedAt, 'revoked again').toBe(T0 + 5);
      expect((await store.listKeys())[0]?.revokedAt).toBe(T0 + 5);
    });

    test('hasNoKeys: true on a fresh store, false once a key exists, even revoked', async () => {
      const store = await open();
      expect(await store.hasNoKeys()).toBe(true);
      const { key } = await newKey(store);
      expect(await store.hasNoKeys()).toBe(false);
      await store.revokeKey('acme', key.id);
      expect(await store.hasNoKeys()).toBe(false);
    });

    test('lastUsedAt is written at most once a minute, by the store clock', async () => {
      const store = await open();
      const { key, secret } = await newKey(store);
      expect((await store.listKeys())[0]?.lastUsedAt).toBeUndefined();
      await store.findKeyBySecret(secret);
      clock.t = T0 + 59_999;
      expect((await store.findKeyBySecret(secret))?.lastUsedAt).toBe(T0);
      expect((await store.listKeys())[0]?.lastUsedAt).toBe(T0);
      clock.t = T0 + 60_000;
      expect((await store.findKeyBySecret(secret))?.lastUsedAt).toBe(T0 + 60_000);
      expect(await store.listKeys()).toEqual([{ ...key, lastUsedAt: T0 + 60_000 }]);
    });

    test('listKeys lists every tenant, or one, oldest first', async () => {
      const store = await open();
      const a = await newKey(store, 'acme');
      clock.t += 1;
      const g = await newKey(store, 'globex');
      clock.t += 1;
      const a2 = await newKey(store, 'acme');
      expect((await store.listKeys()).map((k) => k.id)).toEqual([a.key.id, g.key.id, a2.key.id]);
      expect((await store.listKeys({ tenant: 'acme' })).map((k) => k.id)).toEqual([a.key.id, a2.key.id]);
      expect(await store.listKeys({ tenant: 'initech' })).toEqual([]);
    });

    test('malformed keys are refused, naming the field, and write nothing', async () => {
      const store = await open();
      const ok = { tenant: 'acme', name: 'ci', roles: ['viewer'] as Role[] };
      await expectInvalid(store.createKey({ ...ok, tenant: '' }), 'tenant');
      await expectInvalid(store.createKey({ ...ok, name: '' }), 'name');
      await expectInvalid(store.createKey({ ...ok, roles: [] }), 'roles');
      await expectInvalid(store.createKey({ ...ok, roles: ['root' as Role] }), 'roles', 'unknown role');
      await expectInvalid(store.createKey({ ...ok, expiresAt: -1 }), 'expiresAt');
      await expectInvalid(store.revokeKey('', 'abcdefgh'), 'tenant');
      expect(await store.hasNoKeys()).toBe(true);
    });
  });
}

/** Tests of `appendAudit` and `listAudit`. */
export function auditCases({ test, open, clock }: ConformanceHarness): void {
  const entry = (over: Partial<AuditEntry> = {}): Omit<AuditEntry, 'id'> => ({
    at: clock.t,
    tenant: 'acme',
    actor: 'key1',
    action: 'run.submit',
    target: 'run_1',
    details: { workflow: 'invoice' },
    ...over,
  });

  describe('audit log', () => {
    test('entries get time-ordered ids and list newest first', async () => {
      const store = await open();
      const appended: AuditEntry[] = [];
      for (let i = 0; i < 3; i++) {
        appended.push(await store.appendAudit(entry({ target: `run_${i}` })));
        clock.t += 1;
      }
      expect(appended[0]).toEqual({ id: expect.any(String), ...entry({ at: T0, target: 'run_0' }) });
      const ids = appended.map((e) => e.id);
      expect([...ids].sort()).toEqual(ids);
      expect(await store.listAudit({ tenant: 'acme' })).toEqual([...appended].reverse());
    });

    test('filters by action, actor and target; tenants never mix', async () => {
      const store = await open();
      const submit = await store.appendAudit(entry());
      const cancel = await store.appendAudit(
        entry({ action: 'run.cancel', actor: 'system', target: 'run_2' }),
      );
      await store.appendAudit(entry({ tenant: 'globex' }));
      const ids = async (q: Partial<Parameters<ControlStore['listAudit']>[0]>) =>
        (await store.listAudit({ tenant: 'acme', ...q })).map((e) => e.id).sort();
      expect(await ids({})).toEqual([submit.id, cancel.id].sort());
      expect(await ids({ action: 'run.cancel' })).toEqual([cancel.id]);
      expect(await ids({ actor: 'key1' })).toEqual([submit.id]);
      expect(await ids({ target: 'run_2', actor: 'system' })).toEqual([cancel.id]);
      expect(await ids({ target: 'run_9' })).toEqual([]);
      expect((await store.listAudit({ tenant: 'globex' })).map((e) => e.tenant)).toEqual(['globex']);
      expect(await store.listAudit({ tenant: 'initech' })).toEqual([]);
    });

    test('cursor pages hold every entry once, same-millisecond ones included', async () => {
      const store = await open();
      const all: string[] = [];
      for (let i = 0; i < 23; i++) {
        all.push((await store.appendAudit(entry({ at: T0 + Math.floor(i / 5), target: `run_${i}` }))).id);
      }
      await store.appendAudit(entry({ tenant: 'globex' }));
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const entries = await store.listAudit({ tenant: 'acme', limit: 4, ...(cursor ? { cursor } : {}) });
        if (entries.length === 0) break;
        expect(entries.length).toBeLessThanOrEqual(4);
        seen.push(...entries.map((e) => e.id));
        cursor = entries.at(-1)?.id;
      }
      expect(seen).toEqual([...all].sort().reverse());
      expect(new Set(seen).size).toBe(23);
      expect(await store.listAudit({ tenant: 'acme' })).toHaveLength(23);
      expect(await store.listAudit({ tenant: 'acme', limit: 100 })).toHaveLength(23);
    });

    test('malformed entries and queries are refused, naming the field, and write nothing', async () => {
      const store = await open();
      await expectInvalid(store.appendAudit(entry({ tenant: '' })), 'tenant');
      await expectInvalid(store.appendAudit(entry({ actor: '' })), 'actor');
      await expectInvalid(store.appendAudit(entry({ action: '' })), 'action');
      await expectInvalid(
        store.appendAudit(entry({ details: [] as unknown as Record<string, unknown> })),
        'details',
      );
      await expectInvalid(store.appendAudit(entry({ at: Number.NaN })), 'at');
      await expectInvalid(store.listAudit({ tenant: '' }), 'tenant');
      await expectInvalid(store.listAudit({ tenant: 'acme', limit: 0 }), 'limit');
      expect(await store.listAudit({ tenant: 'acme' })).toEqual([]);
    });
  });
}
