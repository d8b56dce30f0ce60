/**
 * Test harness of the HTTP API: a real engine on SQLite in a temp dir, a real SQLite control store, the
 * server's event triggers, and the app, with helpers to make keys for any roles and tenants and to call
 * routes in memory. The RBAC matrix, tenant-isolation and fuzz suites build on it.
 */
import { join } from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { afterEach } from 'vitest';
import type { RegisteredFunction } from '../../src/core/definition.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { openSqliteLedger } from '../../src/gateway/ledger/index.js';
import {
  type ApiAppOptions,
  type ApiEnv,
  createApiApp,
  type OperationId,
} from '../../src/server/app/index.js';
import type { ServerContext } from '../../src/server/context.js';
import { openSqliteControlStore } from '../../src/server/control/index.js';
import { type ControlStore, ROLES, type Role } from '../../src/server/control/port.js';
import { createEventTriggers } from '../../src/server/services/index.js';
import { openTestBaton, type TestBaton, tempDir } from '../helpers.js';
import { until } from '../until.js';

/** A workflow that finishes at once: `{ echoed: input }`. */
export const ECHO_SPEC = `
name: echo
version: '1'
input: { type: object }
steps:
  - id: echo
    kind: fn
    fn: echo
    input: '$input'
`;

/** A workflow that waits for the API event `go` (published by its own tenant), then finishes. */
export const WAIT_SPEC = `
name: waiter
version: '1'
input: { type: object }
steps:
  - id: wait
    kind: wait
    event: { key: '"go"' }
  - id: done
    kind: fn
    fn: echo
    needs: [wait]
    input: '{ "done": true }'
`;

/** A workflow with a prepare step, then an approval of its output, then a step using the decision. */
export const APPROVAL_SPEC = `
name: payout
version: '1'
input:
  type: object
  properties: { amount: { type: number } }
  required: [amount]
steps:
  - id: prepare
    kind: fn
    fn: echo
    input: '{ "amount": $input.amount }'
  - id: review
    kind: approval
    needs: [prepare]
    prompt: Pay this?
    data: '$steps.prepare'
    role: finance
    onReject: continue
  - id: pay
    kind: fn
    fn: echo
    needs: [review]
    input: '$steps.review'
`;

/** The functions the test specs call. */
export const TEST_FUNCTIONS: Record<string, RegisteredFunction> = {
  echo: (args) => ({ echoed: args }),
};

/** Path parameter values of resources made by {@link ApiHarness.seed}. */
export interface SeededIds extends Record<string, string> {
  /** A run of `payout` waiting for the approval step `review`. */
  id: string;
  runId: string;
  stepId: string;
  /** The workflow `payout`. */
  name: string;
  triggerId: string;
  webhookId: string;
  deliveryId: string;
  keyId: string;
}

/** Options of {@link openApiHarness}. */
export interface ApiHarnessOptions {
  app?: ApiAppOptions;
  /** Start a worker so that runs progress. @defaultValue true */
  worker?: boolean;
  /** Specs registered before the app serves (by default the three test specs). */
  specs?: string[];
  /** Clock of the server context and the control store. @defaultValue Date.now */
  now?: () => number;
  /**
   * The `gateway` config section of the server's LLM gateway (on a SQLite ledger in the temp dir), as
   * `baton server` always mounts one; `false` for a server without. @defaultValue `{}` (the default
   * routes, on the offline model)
   */
  gateway?: unknown;
}

/** Options of one request through {@link ApiHarness.call}. */
export interface CallOptions {
  /** The secret sent as `Authorization: Bearer`; none when omitted. */
  key?: string;
  /** A JSON body (serialized), or a string sent as it is. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** An API over a real engine and control store, in memory. */
export interface ApiHarness {
  app: OpenAPIHono<ApiEnv>;
  baton: TestBaton;
  control: ControlStore;
  ctx: ServerContext;
  /** Creates a key with `roles` in `tenant` (default `acme`) and returns its secret. */
  keyFor(roles: Role | Role[], tenant?: string, name?: string): Promise<string>;
  /** One key per role in `tenant` (default `acme`): their secrets by role. */
  keysByRole(tenant?: string): Promise<Record<Role, string>>;
  /**
   * Creates one of everything in `tenant` (a run waiting for an approval, a trigger, a webhook with a
   * delivery, a key) and returns the values of every path parameter of the API, for {@link fillPath}.
   * Needs the harness's worker.
   */
  seed(tenant?: string): Promise<SeededIds>;
  /** One request through `app.request`. */
  call(method: string, path: string, options?: CallOptions): Promise<Response>;
  /** Like {@link call}, parsing the JSON body. */
  json<T = Record<string, unknown>>(
    method: string,
    path: string,
    options?: CallOptions,
  ): Promise<{ status: number; body: T; headers: Headers }>;
  close(): Promise<void>;
}

/** Opens a harness; close it after (or use {@link useApiHarness}). */
export async function openApiHarness(options: ApiHarnessOptions = {}): Promise<ApiHarness> {
  const now = options.now ?? Date.now;
  const baton = await openTestBaton({ functions: TEST_FUNCTIONS });
  const dir = tempDir();
  const control = await openSqliteControlStore({ path: join(dir.dir, 'control.db'), now });
  for (const spec of options.specs ?? [ECHO_SPEC, WAIT_SPEC, APPROVAL_SPEC]) await baton.register(spec);
  if (options.worker !== false) baton.worker({ concurrency: 4, pollMs: 20 });
  const ledger =
    options.gateway === false
      ? undefined
      : await openSqliteLedger({ path: join(dir.dir, 'gateway.db'), now });
  // An empty env: the default routes go to the offline model even where a provider key is set.
  const gateway = ledger && Gateway.open({ config: options.gateway ?? {}, ledger, now, env: {} });
  const ctx: ServerContext = {
    baton,
    control,
    now,
    triggers: { fire: async () => [] },
    ...(gateway ? { gateway } : {}),
  };
  ctx.triggers = createEventTriggers(ctx);
  const app = createApiApp(ctx, { rateLimit: false, streamPollMs: 20, logError: () => {}, ...options.app });

  const call = (method: string, path: string, o: CallOptions = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.key !== undefined) headers.authorization = `Bearer ${o.key}`;
    let body: string | undefined;
    // Fetch refuses a body on GET and HEAD; generated suites may send one to every route.
    if (o.body !== undefined && method !== 'GET' && method !== 'HEAD') {
      body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    return Promise.resolve(app.request(path, { method, headers, ...(body === undefined ? {} : { body }) }));
  };

  return {
    app,
    baton,
    control,
    ctx,
    async keyFor(roles, tenant = 'acme', name) {
      const list = Array.isArray(roles) ? roles : [roles];
      const created = await control.createKey({
        tenant,
        name: name ?? `${list.join('+')}@${tenant}`,
        roles: list,
      });
      return created.secret;
    },
    async keysByRole(tenant = 'acme') {
      const keys = {} as Record<Role, string>;
      for (const role of ROLES) {
        keys[role] = (await control.createKey({ tenant, name: `${role}@${tenant}`, roles: [role] })).secret;
      }
      return keys;
    },
    async seed(tenant = 'acme') {
      const run = await baton.submit('payout', { amount: 1 }, { tenant });
      await until('the seeded approval', async () => (await baton.getRun(run.id)).status === 'waiting');
      const trigger = await control.createTrigger({
        tenant,
        workflow: 'echo',
        type: 'event',
        eventType: 'seed',
        input: {},
        enabled: true,
      });
      const webhook = await control.createWebhook({
        tenant,
        url: 'https://example.test/hook',
        events: ['run.failed'],
      });
      await control.enqueueDeliveries([
        { subscriptionId: webhook.id, tenant, event: 'run.failed', eventKey: `${run.id}:1`, payload: {} },
      ]);
      const [delivery] = await control.listDeliveries({ tenant, subscriptionId: webhook.id });
      const { key } = await control.createKey({ tenant, name: 'seeded', roles: ['viewer'] });
      return {
        id: run.id,
        runId: run.id,
        stepId: 'review',
        name: 'payout',
        triggerId: trigger.id,
        webhookId: webhook.id,
        deliveryId: delivery?.id as string,
        keyId: key.id,
      };
    },
    call,
    async json(method, path, o) {
      const res = await call(method, path, o);
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
    },
    async close() {
      await baton.close();
      await gateway?.close();
      await ledger?.close();
      await control.close();
      await baton.cleanupDir();
      await dir.cleanup();
    },
  };
}

/** Returns an opener of harnesses that are all closed after each test. */
export function useApiHarness(): (options?: ApiHarnessOptions) => Promise<ApiHarness> {
  let open: ApiHarness[] = [];
  afterEach(async () => {
    for (const h of open) await h.close();
    open = [];
  });
  return async (options) => {
    const h = await openApiHarness(options);
    open.push(h);
    return h;
  };
}

/** A harness ready for a generated suite: {@link openSeededApi}'s answer. */
export interface SeededApi {
  h: ApiHarness;
  /** What {@link ApiHarness.seed} made in the tenant. */
  ids: SeededIds;
  /** One key per role in the tenant: their secrets by role. */
  keys: Record<Role, string>;
  /** Every authenticated operation of the app. */
  operations: ApiOperation[];
}

/**
 * Opens a harness, seeds `tenant` (one of everything, one key per role) and lists the app's
 * operations; close `h` after.
 */
export async function openSeededApi(options: ApiHarnessOptions = {}, tenant = 'acme'): Promise<SeededApi> {
  const h = await openApiHarness(options);
  const ids = await h.seed(tenant);
  const keys = await h.keysByRole(tenant);
  return { h, ids, keys, operations: apiOperations(h.app) };
}

/** One operation of the app, as its OpenAPI document lists it. */
export interface ApiOperation {
  operationId: OperationId;
  method: string;
  /** OpenAPI form, `/v1/runs/{id}`. */
  path: string;
}

/** The authenticated operations of an app (every route with an `operationId`), for generated suites. */
export function apiOperations(app: OpenAPIHono<ApiEnv>): ApiOperation[] {
  const doc = app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'Baton API', version: '1' } });
  const ops: ApiOperation[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const id = item[method]?.operationId;
      if (id) ops.push({ operationId: id as OperationId, method, path });
    }
  }
  return ops;
}

/** Fills an OpenAPI path with values: `fillPath('/v1/runs/{id}', { id: 'r1' })`. */
export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(values[name] ?? 'unknown'));
}

/** The resource each `{id}` path parameter names, by path prefix. */
const ID_OF: [prefix: string, field: keyof SeededIds][] = [
  ['/v1/triggers/', 'triggerId'],
  ['/v1/webhooks/', 'webhookId'],
  ['/v1/deliveries/', 'deliveryId'],
  ['/v1/keys/', 'keyId'],
  ['/v1/runs/', 'runId'],
];

/** The concrete path of an operation on the resources of {@link ApiHarness.seed}. */
export function seededPath(operation: Pick<ApiOperation, 'path'>, ids: SeededIds): string {
  const field = ID_OF.find(([prefix]) => operation.path.startsWith(prefix))?.[1];
  const path = fillPath(operation.path, { ...ids, ...(field ? { id: ids[field] } : {}) });
  // The diff is the one operation with a required query.
  return operation.path.endsWith('/diff') ? `${path}?from=1&to=1` : path;
}
