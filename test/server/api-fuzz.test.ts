/**
 * The API under random and malformed requests, in memory: every operation of the OpenAPI document gets
 * random methods, path parameters, query strings, headers, content types and bodies (random JSON,
 * valid bodies with a field of the wrong type, huge strings and numbers, deep nesting, invalid UTF-8
 * and binary, bodies over the size limit), with an admin key (so that validation and the handlers,
 * not RBAC, answer) and without one. Never a 5xx; every error is JSON with a code and a message; no
 * rejection escapes the app.
 *
 * The fuzz is seeded: `FUZZ_SEED=<n>` replays a run; a failure prints its seed and path.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { OPERATION_IDS, type OperationId } from '../../src/server/app/index.js';
import {
  type ApiHarness,
  type ApiOperation,
  apiOperations,
  openApiHarness,
  type SeededIds,
  seededPath,
} from './api-harness.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_121);
/** Requests per operation with an admin key (×33 operations), besides the targeted cases. */
const RUNS_PER_OPERATION = 300;
const MAX_BODY_BYTES = 256 * 1024;

/** A valid body of each operation that takes one; the fuzz breaks them one field at a time. */
const VALID_BODIES: Partial<Record<OperationId, Record<string, unknown>[]>> = {
  'workflows.register': [
    { name: 'fuzzed', version: '1', steps: [{ id: 'a', kind: 'fn', fn: 'echo', input: '$input' }] },
  ],
  'workflows.validate': [
    { name: 'fuzzed', version: '1', steps: [{ id: 'a', kind: 'fn', fn: 'echo', input: '$input' }] },
  ],
  'runs.submit': [
    { workflow: 'echo', version: 1, input: {}, priority: 1, tags: ['t'], budgetUsd: 1, timeoutMs: 60_000 },
    { workflow: 'payout', input: { amount: 1 } },
  ],
  'runs.cancel': [{ reason: 'fuzz' }],
  'runs.replay': [{ version: 1 }, { version: 'payout@1' }],
  'runs.fork': [{ fromStep: 'review', input: { amount: 3 }, version: 1, allowEffects: false }],
  'events.publish': [{ key: 'fuzz', payload: { a: 1 } }],
  'approvals.decide': [{ decision: 'approve', comment: 'ok', data: { amount: 2 } }, { decision: 'reject' }],
  'approvals.reassign': [{ assignee: 'ann', role: 'finance', comment: 'over to you' }],
  'triggers.create': [
    { type: 'cron', workflow: 'echo', schedule: '0 9 * * 1-5', timezone: 'Europe/Paris', input: {} },
    { type: 'event', workflow: 'echo', eventType: 'fuzz', enabled: false },
  ],
  'triggers.update': [{ enabled: true, input: { a: 1 } }],
  'webhooks.create': [{ url: 'https://fuzz.test/hook', events: ['run.failed'], description: 'fuzz' }],
  'keys.create': [{ name: 'fuzz', roles: ['viewer'], expiresAt: 9_000_000_000_000 }],
};

/** JSON number texts that `JSON.stringify` cannot produce. */
const RAW_NUMBERS = [
  '1e999',
  '-1e999',
  '1e-999',
  '-0',
  '123456789012345678901234567890',
  '9007199254740993',
  '0.1e400',
  '1'.repeat(400),
];

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'text/plain',
  'text/yaml',
  'application/yaml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----fuzz',
  'application/octet-stream',
  '*/*',
  '',
];

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];

/** One request as the fuzz sends it. */
interface FuzzRequest {
  operation?: OperationId;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

let h: ApiHarness;
let admin: string;
let ids: SeededIds;
let operations: ApiOperation[];
let queryNames: string[];
const logged: unknown[] = [];
/** Answers that came from a handler (not from auth, validation or routing), by operation. */
const reached = new Map<OperationId, number>();
/** Error codes answered before a request reaches its handler. */
const GATE_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'INVALID_REQUEST',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'ROUTE_NOT_FOUND',
]);
const escaped: unknown[] = [];
const onEscape = (err: unknown) => escaped.push(err);

beforeAll(async () => {
  process.on('unhandledRejection', onEscape);
  process.on('uncaughtException', onEscape);
  h = await openApiHarness({
    app: { maxBodyBytes: MAX_BODY_BYTES, logError: (err) => logged.push(err) },
  });
  admin = await h.keyFor('admin');
  ids = await h.seed();
  operations = apiOperations(h.app);
  const doc = h.app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'Baton API', version: '1' } });
  const names = new Set<string>();
  for (const item of Object.values(doc.paths ?? {})) {
    for (const op of [item.get, item.post, item.patch, item.delete, item.put]) {
      for (const p of op?.parameters ?? []) if ('in' in p && p.in === 'query') names.add(p.name);
    }
  }
  queryNames = [...names];
});

afterAll(async () => {
  await h?.close();
  process.off('unhandledRejection', onEscape);
  process.off('uncaughtException', onEscape);
});

/** Sends `req` and checks the answer: below 500, and a JSON error with a code when it is an error. */
async function expectHandled(req: FuzzRequest, status?: number): Promise<void> {
  const before = logged.length;
  const res = await h.app.request(req.path, {
    method: req.method,
    headers: req.headers,
    ...(req.body === undefined ? {} : { body: req.body }),
  });
  const where = `${req.method} ${req.path.slice(0, 200)}`;
  if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
    await res.body?.cancel();
    expect(res.status, where).toBe(200);
    if (req.operation) reached.set(req.operation, (reached.get(req.operation) ?? 0) + 1);
    return;
  }
  const text = await res.text();
  const cause = logged.slice(before).map((e) => (e instanceof Error ? e.stack : String(e)));
  expect(res.status, `${where} → ${text.slice(0, 300)} ${cause.join('\n')}`).toBeLessThan(500);
  if (status !== undefined) expect(res.status, `${where} → ${text.slice(0, 300)}`).toBe(status);
  if (res.status < 400 || req.method === 'HEAD') {
    if (res.status < 400 && req.operation) reached.set(req.operation, (reached.get(req.operation) ?? 0) + 1);
    return;
  }
  expect(res.headers.get('content-type'), where).toMatch(/^application\/json/);
  const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
  expect(typeof body.error?.code, `${where} → ${text.slice(0, 300)}`).toBe('string');
  expect(body.error?.code, where).not.toBe('');
  expect(typeof body.error?.message, where).toBe('string');
  if (req.operation && !GATE_CODES.has(body.error?.code as string)) {
    reached.set(req.operation, (reached.get(req.operation) ?? 0) + 1);
  }
}

/** `req` printed short in a counterexample: a failing body can be megabytes. */
function described(req: FuzzRequest): FuzzRequest {
  const short = (text: string) =>
    text.length > 300 ? `${text.slice(0, 300)}… (${text.length} chars)` : text;
  const body =
    req.body === undefined
      ? undefined
      : typeof req.body === 'string'
        ? short(req.body)
        : `bytes ${short(Buffer.from(req.body).toString('hex'))}`;
  return Object.assign(req, {
    [fc.toStringMethod]: () =>
      JSON.stringify({ ...req, path: short(req.path), headers: mapValues(req.headers, short), body }),
  });
}

function mapValues(o: Record<string, string>, f: (v: string) => string): Record<string, string> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

/** Runs a property with the file's seed, saying how to replay it when it fails. */
async function fuzz<T>(arbitrary: fc.Arbitrary<T>, numRuns: number, check: (value: T) => Promise<void>) {
  try {
    await fc.assert(fc.asyncProperty(arbitrary, check), { numRuns, seed: SEED });
  } catch (err) {
    throw new Error(`fuzz failed with seed ${SEED} (replay: FUZZ_SEED=${SEED})`, { cause: err });
  }
}

// ----- arbitraries --------------------------------------------------------------------------------

const latin1 = fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c));
const headerText = fc.string({ unit: latin1, maxLength: 60 });
const huge = (max: number) => fc.integer({ min: 1, max }).map((n) => 'x'.repeat(n));
const deep = fc
  .tuple(fc.integer({ min: 1, max: 40_000 }), fc.constantFrom('[', '{"a":'))
  .map(([n, open]) => `${open.repeat(n)}1${(open === '[' ? ']' : '}').repeat(n)}`);

/** A JSON text for a value: anything JSON, wrong types, huge, deep, or numbers out of range. */
const rawValue: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
  fc.string({ unit: 'grapheme', maxLength: 50 }).map((s) => JSON.stringify(s)),
  huge(300_000).map((s) => JSON.stringify(s)),
  fc.constantFrom(...RAW_NUMBERS),
  fc.double().map((n) => JSON.stringify(n)),
  deep,
);

const pathValue = (op: ApiOperation): fc.Arbitrary<string> =>
  fc
    .oneof(
      { weight: 3, arbitrary: fc.constant(seededPath(op, ids)) },
      fc.string({ maxLength: 30 }).map((s) => encodeURIComponent(s)),
      fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => encodeURIComponent(s)),
      fc.constantFrom('%', '%E0%A4%A', '%00', '..', '%2F', '%2e%2e', '%FF%FE', 'a%20b', '%C0%AF'),
      fc.integer({ min: 150, max: 3_000 }).map((n) => 'a'.repeat(n)),
    )
    .map((v) => (v.startsWith('/') ? v : op.path.replace(/\{\w+\}/g, v)));

const queryString = fc
  .array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom('limit', 'cursor', 'status', 'from', 'to', 'after'),
        fc.string({ maxLength: 10 }),
      ),
      fc.oneof(
        fc.string({ maxLength: 20 }),
        fc.constantFrom(...RAW_NUMBERS, '-1', 'NaN', 'Infinity', '0x10', ' 1', '1.5', 'true', ''),
        huge(5_000),
      ),
      fc.boolean(),
    ),
    { maxLength: 5 },
  )
  .map((pairs) =>
    pairs.length === 0
      ? ''
      : `?${pairs.map(([k, v, raw]) => (raw ? `${k}=${v}` : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&')}`,
  );

/** Breaks a valid body: one field of a random value or type, dropped, or an unknown field added. */
const brokenBody = (valid: Record<string, unknown>): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constant(JSON.stringify(valid)),
    fc
      .tuple(fc.constantFrom(...Object.keys(valid)), rawValue)
      .map(([field, raw]) => JSON.stringify({ ...valid, [field]: '\u0000raw' }).replace('"\\u0000raw"', raw)),
    fc.constantFrom(...Object.keys(valid)).map((field) => {
      const { [field]: _dropped, ...rest } = valid;
      return JSON.stringify(rest);
    }),
    fc
      .tuple(fc.string({ maxLength: 12 }), rawValue)
      .map(([field, raw]) =>
        JSON.stringify({ ...valid, [`${field}\u0000`]: null }).replace(
          `${JSON.stringify(`${field}\u0000`)}:null`,
          `${JSON.stringify(field)}:${raw}`,
        ),
      ),
    fc.constant(`{"__proto__":{"admin":true},${JSON.stringify(valid).slice(1)}`),
  );

/** Bytes with invalid UTF-8 spliced into a text. */
const invalidUtf8 = (text: fc.Arbitrary<string>) =>
  fc
    .tuple(
      text,
      fc.nat(),
      fc.constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x00]),
    )
    .map(([t, at, bad]) => {
      const bytes = new TextEncoder().encode(t);
      const i = bytes.length === 0 ? 0 : at % bytes.length;
      return new Uint8Array([...bytes.subarray(0, i), ...bad, ...bytes.subarray(i)]);
    });

const bodyFor = (op: ApiOperation): fc.Arbitrary<string | Uint8Array | undefined> => {
  const valid = VALID_BODIES[op.operationId] ?? [{ x: 1 }];
  const broken = fc.constantFrom(...valid).chain(brokenBody);
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...valid).map((v) => JSON.stringify(v)) },
    { weight: 5, arbitrary: broken },
    fc.constant(undefined),
    rawValue,
    fc.string({ maxLength: 200 }),
    fc.uint8Array({ maxLength: 300 }),
    invalidUtf8(broken),
    fc.constantFrom('{"workflow":', '{', '[', '"', '{"a":1}{"a":2}', 'null', 'true', '{"a":1,"a":2}'),
    huge(MAX_BODY_BYTES + 1024),
  );
};

const authorization = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(
    'Bearer',
    'Bearer ',
    'Basic YWRtaW46YWRtaW4=',
    'bk_',
    'Bearer bk_aaaaaaaa_bbbb',
    'Bearer  \t',
  ),
  headerText.map((t) => `Bearer ${t}`),
  headerText,
  huge(10_000).map((t) => `Bearer bk_${t}`),
);

/** A random request to `op`: mostly its own method, with random path values, query, headers and body. */
const requestTo = (op: ApiOperation, auth: fc.Arbitrary<string | undefined>): fc.Arbitrary<FuzzRequest> =>
  fc
    .record({
      method: fc.oneof(
        { weight: 5, arbitrary: fc.constant(op.method.toUpperCase()) },
        fc.constantFrom(...METHODS),
      ),
      path: pathValue(op),
      query: fc.oneof(
        queryString,
        fc.constant(''),
        fc
          .tuple(
            fc.constantFrom(...queryNames),
            fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom(...RAW_NUMBERS)),
          )
          .map(([k, v]) => `?${k}=${encodeURIComponent(v)}`),
      ),
      contentType: fc.oneof(
        { weight: 4, arbitrary: fc.constant('application/json') },
        fc.constantFrom(...CONTENT_TYPES),
        headerText,
        fc.constant(undefined),
      ),
      extra: fc.dictionary(
        fc.constantFrom(
          'idempotency-key',
          'last-event-id',
          'accept',
          'x-forwarded-for',
          'content-encoding',
          'x-fuzz',
        ),
        fc.oneof(headerText, fc.nat().map(String), huge(1_000)),
        { maxKeys: 3 },
      ),
      auth,
      body: bodyFor(op),
    })
    .map(({ method, path, query, contentType, extra, auth: a, body }) => {
      const headers: Record<string, string> = { ...extra };
      if (contentType !== undefined) headers['content-type'] = contentType;
      if (a !== undefined) headers.authorization = a;
      // Fetch refuses a body on GET and HEAD.
      const withBody = body !== undefined && method !== 'GET' && method !== 'HEAD';
      return described({
        operation: op.operationId,
        method,
        path: `${path}${query}`,
        headers,
        ...(withBody ? { body } : {}),
      });
    });

const anyRequest = (auth: fc.Arbitrary<string | undefined>) =>
  fc.constantFrom(...operations).chain((op) => requestTo(op, auth));

// ----- tests --------------------------------------------------------------------------------------

describe('API fuzz', () => {
  test.each(OPERATION_IDS)('%s: random requests with an admin key, never a 5xx', async (operation) => {
    const op = operations.find((o) => o.operationId === operation);
    if (!op) throw new Error(`${operation} is in ACCESS but not in the OpenAPI document`);
    // Fresh resources: an earlier operation may have deleted, revoked, cancelled or decided them.
    ids = await h.seed();
    await fuzz(requestTo(op, fc.constant(`Bearer ${admin}`)), RUNS_PER_OPERATION, (req) =>
      expectHandled(req),
    );
    // Not all refused at the gate: the fuzz reached the handler itself.
    expect(reached.get(operation) ?? 0).toBeGreaterThan(0);
  });

  test('every operation, without a valid key: always 401 UNAUTHENTICATED', async () => {
    await fuzz(anyRequest(authorization), 1_000, async (req) => {
      // `..` segments (even as %2e%2e) are resolved by URL parsing and may leave /v1: then 404.
      const inV1 = new URL(req.path, 'http://localhost').pathname.startsWith('/v1/');
      await expectHandled(req, inV1 ? 401 : 404);
    });
  });

  test.each([100, 5_000, 50_000])('JSON nested %i deep in every field of every body', async (depth) => {
    for (const op of operations) {
      for (const valid of VALID_BODIES[op.operationId] ?? [{ x: 1 }]) {
        for (const field of Object.keys(valid)) {
          for (const open of ['[', '{"a":']) {
            const nested = `${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}`;
            const body = JSON.stringify({ ...valid, [field]: '\u0000raw' }).replace('"\\u0000raw"', nested);
            await expectHandled({
              method: op.method.toUpperCase(),
              path: seededPath(op, ids),
              headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
              ...(op.method === 'get' ? {} : { body }),
            });
          }
        }
      }
    }
  });

  test('a JSON value nested deeper than the limit is a 400 naming its field, not a stack overflow', async () => {
    const nested = (depth: number) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) as unknown;
    const submit = (depth: number) =>
      h.json('POST', '/v1/runs', { key: admin, body: { workflow: 'echo', input: { deep: nested(depth) } } });
    // `input` itself is one level: 63 arrays inside it make 64.
    expect((await submit(63)).status).toBe(202);
    expect(await submit(64)).toMatchObject({
      status: 400,
      body: { error: { code: 'INVALID_REQUEST', details: { issues: [{ path: 'input' }] } } },
    });
    const deepest = `{"workflow":"echo","input":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expect((await h.json('POST', '/v1/runs', { key: admin, body: deepest })).status).toBe(400);
  });

  test('YAML specs that are deep, alias bombs, custom tags or not YAML at all', async () => {
    const aliases = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const [i, name] of ['b', 'c', 'd', 'e', 'f', 'g'].entries()) {
      const prev = 'abcdefg'[i] as string;
      aliases.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    const specs = [
      `${'['.repeat(20_000)}1${']'.repeat(20_000)}`,
      `name: x\nversion: '1'\nsteps: ${'['.repeat(20_000)}${']'.repeat(20_000)}`,
      `name: x\nversion: '1'\ninput: ${'{a: '.repeat(5_000)}1${'}'.repeat(5_000)}\nsteps: []`,
      `${'- '.repeat(5_000)}x`,
      aliases.join('\n'),
      '!!js/function "function () {}"',
      '!!binary aGVsbG8=',
      '%YAML 9.9\n---\na: 1',
      '*undefined_alias',
      'a: 1\n\ta: 2',
      '---\na: 1\n---\nb: 2',
      '\u0000\uffff',
    ];
    for (const op of operations.filter(
      (o) => o.operationId.startsWith('workflows.') && o.method === 'post',
    )) {
      for (const body of specs) {
        for (const type of ['text/yaml', 'application/yaml']) {
          await expectHandled({
            operation: op.operationId,
            method: 'POST',
            path: op.path,
            headers: { authorization: `Bearer ${admin}`, 'content-type': type },
            body,
          });
        }
      }
    }
  });

  test('bodies over the limit are 413 on every operation that takes one, with or without a length', async () => {
    const big = JSON.stringify({
      ...VALID_BODIES['runs.submit']?.[0],
      input: { big: 'x'.repeat(MAX_BODY_BYTES) },
    });
    for (const op of operations.filter((o) => o.method !== 'get')) {
      for (const body of [big, new TextEncoder().encode(big)]) {
        await expectHandled(
          {
            method: op.method.toUpperCase(),
            path: seededPath(op, ids),
            headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
            body,
          },
          413,
        );
      }
      // Streamed, so that no Content-Length announces the size.
      const res = await h.app.request(seededPath(op, ids), {
        method: op.method.toUpperCase(),
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: new Blob([big]).stream(),
        duplex: 'half',
      } as RequestInit);
      expect([op.operationId, res.status]).toEqual([op.operationId, 413]);
      expect(await res.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    }
  });

  test('the app still answers, and nothing escaped it', async () => {
    expect((await h.call('GET', '/v1/runs', { key: admin })).status).toBe(200);
    expect((await h.call('GET', '/healthz')).status).toBe(200);
    expect(escaped).toEqual([]);
  });
});
