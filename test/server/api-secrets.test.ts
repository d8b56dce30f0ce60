/**
 * Secrets never leave the server except in the responses that create them: after keys and webhooks are
 * made, no answer of any read (or later write) route holds a key secret, a webhook signing secret, or
 * the hash of a key secret, for any role; and nothing the app writes to stdout or stderr (its error
 * logger, with the stores failing under every operation) holds one either.
 *
 * Webhook secrets: the routes document the secret as "shown only" in the create response
 * (`webhooks.create`), and `GET /v1/webhooks[/{id}]` as "without its secret", for admins too; this
 * suite holds the app to that.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { Run } from '../../src/core/types.js';
import { createApiApp } from '../../src/server/app/index.js';
import type { ServerContext } from '../../src/server/context.js';
import { ROLES, type Role } from '../../src/server/control/port.js';
import { until } from '../until.js';
import {
  type ApiHarness,
  type ApiOperation,
  openSeededApi,
  type SeededIds,
  seededPath,
} from './api-harness.js';

const TENANT = 'acme';

/** Valid bodies, so that writes succeed and their answers are worth searching. */
const BODIES: Record<string, unknown> = {
  'runs.submit': { workflow: 'echo', input: { n: 1 } },
  'runs.cancel': { reason: 'secrets test' },
  'events.publish': { key: 'seed' },
  'approvals.decide': { decision: 'approve', comment: 'ok' },
  'approvals.reassign': { assignee: 'ann' },
  'triggers.create': { type: 'event', workflow: 'echo', eventType: 'x' },
  'triggers.update': { enabled: false },
  'webhooks.create': { url: 'https://hooks.test/b', events: ['run.succeeded'] },
  'keys.create': { name: 'another', roles: ['viewer'] },
};

let h: ApiHarness;
let ids: SeededIds;
let keys: Record<Role, string>;
let operations: ApiOperation[];
/** Every secret the test knows of, with the forms it could leak in. */
const secrets = new Map<string, string>();
/** What the process wrote to stdout and stderr while the app answered. */
const written: string[] = [];

function remember(what: string, secret: string): void {
  secrets.set(secret, what);
  // The part after the visible prefix (`bk_<id>_`, `whsec_`) is the secret proper. Cut by prefix, not
  // at the last `_`: base64url has underscores, and a two-letter tail would turn up anywhere by chance.
  const random = secret.startsWith('whsec_')
    ? secret.slice('whsec_'.length)
    : secret.split('_').slice(2).join('_');
  if (random.length < 16) throw new Error(`the random part of ${what} is too short to search for`);
  secrets.set(random, `${what} (random part)`);
  for (const input of [secret, random]) {
    secrets.set(createHash('sha256').update(input).digest('hex'), `${what} (sha256 hex)`);
    secrets.set(createHash('sha256').update(input).digest('base64url'), `${what} (sha256 base64url)`);
  }
}

/** The secrets found in `text`, by what they are. */
function secretsIn(text: string): string[] {
  return [...secrets].filter(([secret]) => text.includes(secret)).map(([, what]) => what);
}

beforeAll(async () => {
  // Capture (and silence) everything written while the app runs, its error logger included.
  const capture = (chunk: unknown) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);

  ({ h, ids, keys, operations } = await openSeededApi({ app: { logError: undefined } }, TENANT));
  for (const role of ROLES) remember(`the ${role} key`, keys[role]);
  const seeded = await h.control.getWebhook(TENANT, ids.webhookId);
  remember('the seeded webhook secret', seeded?.secret as string);
});

afterAll(async () => {
  await h?.close();
  vi.restoreAllMocks();
});

describe('secrets', () => {
  test('are in the create responses of keys and webhooks, and only there', async () => {
    const key = await h.json<{ key: { id: string; prefix: string }; secret: string }>('POST', '/v1/keys', {
      key: keys.admin,
      body: { name: 'made', roles: ['operator'] },
    });
    expect(key.status).toBe(201);
    expect(key.body.secret).toMatch(/^bk_\w{8}_\w{40,}$/);
    expect(key.body.secret.startsWith(`${key.body.key.prefix}_`)).toBe(true);
    remember('a key made through the API', key.body.secret);

    const hook = await h.json<{ id: string; secret: string }>('POST', '/v1/webhooks', {
      key: keys.admin,
      body: { url: 'https://hooks.test/a', events: ['run.failed'] },
    });
    expect(hook.status).toBe(201);
    expect(hook.body.secret.length).toBeGreaterThanOrEqual(20);
    remember('a webhook made through the API', hook.body.secret);
    // The secret it shows is the one deliveries are signed with.
    expect((await h.control.getWebhook(TENANT, hook.body.id))?.secret).toBe(hook.body.secret);

    // A finished run, so that its event stream ends and can be read whole.
    const run = await h.json<Run>('POST', '/v1/runs', { key: keys.admin, body: { workflow: 'echo' } });
    await until('the run to finish', async () => (await h.baton.getRun(run.body.id)).status === 'succeeded');

    for (const role of ROLES) {
      for (const op of operations.filter((o) => o.method === 'get')) {
        const path =
          op.operationId === 'runs.stream' ? `/v1/runs/${run.body.id}/events` : seededPath(op, ids);
        const res = await h.call('GET', path, { key: keys[role] });
        const text = await res.text();
        expect({ role, op: op.operationId, found: secretsIn(text) }).toEqual({
          role,
          op: op.operationId,
          found: [],
        });
      }
    }
    for (const path of ['/openapi.json', '/reference', '/healthz', '/readyz']) {
      expect({ path, found: secretsIn(await (await h.call('GET', path)).text()) }).toEqual({
        path,
        found: [],
      });
    }
    expect(secretsIn(written.join(''))).toEqual([]);
  });

  test('admins get no webhook secret back from the webhook reads', async () => {
    const list = await h.json<{ data: Record<string, unknown>[] }>('GET', '/v1/webhooks', {
      key: keys.admin,
    });
    expect(list.body.data.length).toBeGreaterThan(0);
    for (const webhook of list.body.data) {
      expect(webhook).not.toHaveProperty('secret');
      const one = await h.json<Record<string, unknown>>('GET', `/v1/webhooks/${webhook.id}`, {
        key: keys.admin,
      });
      expect(one.status).toBe(200);
      expect(one.body).not.toHaveProperty('secret');
    }
  });

  test('no write route answers with a secret, except the creates', async () => {
    for (const op of operations.filter((o) => o.method !== 'get')) {
      const res = await h.call(op.method.toUpperCase(), seededPath(op, ids), {
        key: keys.admin,
        ...(BODIES[op.operationId] === undefined ? {} : { body: BODIES[op.operationId] }),
      });
      // A create answers with its own new secret, never with one that existed before.
      const found = secretsIn(await res.text());
      expect({ op: op.operationId, status: res.status < 500, found }).toEqual({
        op: op.operationId,
        status: true,
        found: [],
      });
    }
    expect(secretsIn(written.join(''))).toEqual([]);
  });

  test('the error logger writes no secret when every store call fails', async () => {
    const failure = (name: string) => () => {
      throw new Error(`SQLITE_IOERR: disk I/O error in ${name}`);
    };
    /** `target` with every method failing, except `keep`. */
    const failing = <T extends object>(target: T, keep: readonly string[] = []): T =>
      new Proxy(target, {
        get(t, prop, receiver) {
          const value = Reflect.get(t, prop, receiver);
          if (prop === 'store') return failing(value as object);
          if (typeof value !== 'function') return value;
          return keep.includes(String(prop)) ? value.bind(t) : failure(String(prop));
        },
      });
    for (const keep of [['findKeyBySecret'], []]) {
      const ctx: ServerContext = {
        ...h.ctx,
        baton: failing(h.ctx.baton),
        control: failing(h.ctx.control, keep),
        triggers: failing(h.ctx.triggers),
      };
      const app = createApiApp(ctx, { rateLimit: false });
      written.length = 0;
      for (const op of operations) {
        const body = BODIES[op.operationId];
        const res = await app.request(seededPath(op, ids), {
          method: op.method.toUpperCase(),
          headers: { authorization: `Bearer ${keys.admin}`, 'content-type': 'application/json' },
          ...(op.method === 'get' ? {} : { body: JSON.stringify(body ?? {}) }),
        });
        const text = await res.text();
        expect([op.operationId, secretsIn(text)]).toEqual([op.operationId, []]);
      }
      const log = written.join('');
      // The logger did write: the failures were logged, without a secret.
      expect(log).toContain('SQLITE_IOERR');
      expect(secretsIn(log)).toEqual([]);
    }
  });
});
