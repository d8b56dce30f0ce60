import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI } from './fakes/index.js';
import { type GatewayHarness, startGateway } from './harness.js';

let a: FakeOpenAI;
let b: FakeOpenAI;
let c: FakeOpenAI;
let gw: GatewayHarness;
let client: OpenAI;

const user = (content: string) => [{ role: 'user' as const, content }];

beforeAll(async () => {
  [a, b, c] = await Promise.all([startFakeOpenAI(), startFakeOpenAI(), startFakeOpenAI()]);
  let seed = 1;
  gw = await startGateway(
    {
      providers: {
        a: { kind: 'openai-compatible', baseUrl: `${a.url}/v1`, apiKey: 'sk-a' },
        b: { kind: 'openai-compatible', baseUrl: `${b.url}/v1`, apiKey: 'sk-b' },
        c: { kind: 'openai-compatible', baseUrl: `${c.url}/v1`, apiKey: 'sk-c' },
      },
      routes: {
        chain: { targets: [{ model: 'a/m1' }, { model: 'b/m2' }, { model: 'c/m3' }] },
        // Its own targets, so breakers opened by other tests do not reorder them.
        allfail: { targets: [{ model: 'a/f1' }, { model: 'b/f2' }, { model: 'c/f3' }] },
        slow: { targets: [{ model: 'a/slow', timeoutMs: 100 }, { model: 'b/m2' }] },
        weighted: {
          strategy: 'weighted',
          targets: [
            { model: 'a/w1', weight: 3 },
            { model: 'b/w2', weight: 1 },
          ],
        },
        cheap: {
          strategy: 'cheapest',
          targets: [{ model: 'a/big-pricey' }, { model: 'b/small-cheap' }, { model: 'c/mid' }],
        },
        latency: { strategy: 'latency', targets: [{ model: 'a/lat' }, { model: 'b/lat' }] },
        router: { targets: [{ model: 'c/smart' }], when: [{ metadata: { task: 'routing' }, route: 'tiny' }] },
        tiny: { targets: [{ model: 'a/tiny' }] },
        breaker: { targets: [{ model: 'a/flaky' }, { model: 'b/steady' }], retries: { attempts: 0 } },
      },
      prices: {
        'a/big-pricey': { input: 10, output: 30, contextWindow: 1_000_000 },
        'b/small-cheap': { input: 0.1, output: 0.4, contextWindow: 100 },
        'c/mid': { input: 1, output: 2, contextWindow: 1_000_000 },
      },
      retries: { attempts: 2, baseMs: 1, maxMs: 4, maxRetryAfterMs: 2_000 },
      breaker: { consecutiveFailures: 3, halfOpenAfterMs: 150 },
    },
    {
      // A seeded generator, so weighted picks are reproducible.
      random: () => {
        seed = (seed * 16807) % 2147483647;
        return (seed - 1) / 2147483646;
      },
    },
  );
  client = new OpenAI({ apiKey: gw.secret, baseURL: gw.baseURL, maxRetries: 0 });
});

afterAll(async () => {
  await gw?.close();
  await Promise.all([a?.close(), b?.close(), c?.close()]);
});

beforeEach(() => {
  for (const fake of [a, b, c]) {
    fake.clearFaults();
    fake.requests.length = 0;
    fake.setScript(undefined);
  }
});

describe('retries', () => {
  it('retries 5xx and 429 on the same target, honouring Retry-After', async () => {
    a.fault({ status: 503 });
    a.fault({ status: 429, retryAfter: '0.3' });
    const { data, response } = await client.chat.completions
      .create({ model: 'chain', messages: user('hi') })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('echo: hi');
    expect(response.headers.get('x-baton-target')).toBe('a/m1');
    expect(a.requests).toHaveLength(3);
    expect(b.requests).toHaveLength(0);
    const [, second, third] = a.requests;
    expect((third?.receivedAt ?? 0) - (second?.receivedAt ?? 0)).toBeGreaterThanOrEqual(290);
  });

  it.each([400, 401, 403, 404])('never retries a %i on the same target', async (status) => {
    a.fault({ status, message: 'nope' }, { times: Number.POSITIVE_INFINITY });
    const result = await client.chat.completions.create({ model: 'chain', messages: user('hi') }).then(
      () => 'ok',
      (err: { code?: string }) => err.code,
    );
    expect(a.requests).toHaveLength(1);
    if (status === 400) {
      // A bad request is bad everywhere: no fallback either.
      expect(result).toBe('PROVIDER_REJECTED');
      expect(b.requests).toHaveLength(0);
    } else {
      // Auth and not-found are the target's own problem: the next target may work.
      expect(result).toBe('ok');
      expect(b.requests).toHaveLength(1);
    }
  });

  it('does not retry a context-length error, and falls back to the next target', async () => {
    a.fault({ status: 400, message: "This model's maximum context length is 8192 tokens" });
    const { response } = await client.chat.completions
      .create({ model: 'chain', messages: user('long') })
      .withResponse();
    expect(a.requests).toHaveLength(1);
    expect(response.headers.get('x-baton-target')).toBe('b/m2');
  });

  it('moves on at once when Retry-After is longer than the route will wait', async () => {
    a.fault({ status: 429, retryAfter: '120' });
    const { response } = await client.chat.completions
      .create({ model: 'chain', messages: user('hi') })
      .withResponse();
    expect(a.requests).toHaveLength(1);
    expect(response.headers.get('x-baton-target')).toBe('b/m2');
  });

  it('times out a slow target and falls back', async () => {
    a.fault({ delayMs: 1_000 }, { times: Number.POSITIVE_INFINITY });
    const { response } = await client.chat.completions
      .create({ model: 'slow', messages: user('hi') })
      .withResponse();
    expect(response.headers.get('x-baton-target')).toBe('b/m2');
    expect(a.requests.length).toBeGreaterThanOrEqual(1);
  });

  it('retries malformed JSON from the upstream', async () => {
    a.fault({ malformedJson: true });
    const { response } = await client.chat.completions
      .create({ model: 'chain', messages: user('hi') })
      .withResponse();
    expect(response.headers.get('x-baton-target')).toBe('a/m1');
    expect(a.requests).toHaveLength(2);
  });
});

describe('fallback', () => {
  it('tries targets in order and answers from the first that works', async () => {
    a.fault({ status: 500 }, { times: Number.POSITIVE_INFINITY });
    b.fault({ status: 502 }, { times: Number.POSITIVE_INFINITY });
    const { response } = await client.chat.completions
      .create({ model: 'chain', messages: user('hi') })
      .withResponse();
    expect(response.headers.get('x-baton-target')).toBe('c/m3');
    expect([a.requests.length, b.requests.length, c.requests.length]).toEqual([3, 3, 1]);
  });

  it("returns the first target's error, typed, when every target fails", async () => {
    a.fault({ status: 429, message: 'slow down' }, { times: Number.POSITIVE_INFINITY });
    b.fault({ status: 500 }, { times: Number.POSITIVE_INFINITY });
    c.fault({ status: 503 }, { times: Number.POSITIVE_INFINITY });
    const err = await client.chat.completions
      .create({ model: 'allfail', messages: user('hi') })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 429, code: 'PROVIDER_RATE_LIMITED' });
    expect((err as Error).message).toContain('a/f1');
    expect([a.requests.length, b.requests.length, c.requests.length]).toEqual([3, 3, 3]);
  });
});

describe('circuit breaker', () => {
  it('opens after consecutive failures, sends traffic to the next target, then closes', async () => {
    a.fault({ status: 500 }, { times: 3 });
    for (let i = 0; i < 3; i += 1) {
      const { response } = await client.chat.completions
        .create({ model: 'breaker', messages: user(`x${i}`) })
        .withResponse();
      expect(response.headers.get('x-baton-target')).toBe('b/steady');
    }
    expect(gw.gateway.targets().find((t) => t.target === 'a/flaky')?.breaker).toBe('open');
    const before = a.requests.length;
    await client.chat.completions.create({ model: 'breaker', messages: user('while open') });
    expect(a.requests.length).toBe(before);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { response } = await client.chat.completions
      .create({ model: 'breaker', messages: user('after') })
      .withResponse();
    expect(response.headers.get('x-baton-target')).toBe('a/flaky');
    expect(gw.gateway.targets().find((t) => t.target === 'a/flaky')?.breaker).toBe('closed');
  });
});

describe('strategies', () => {
  it('weighted: spreads calls by weight', async () => {
    for (let i = 0; i < 200; i += 1)
      await client.chat.completions.create({ model: 'weighted', messages: user('w') });
    expect(a.requests.length + b.requests.length).toBe(200);
    // Weights 3:1; a seeded generator keeps this deterministic, the bounds keep it meaningful.
    expect(a.requests.length).toBeGreaterThan(130);
    expect(a.requests.length).toBeLessThan(170);
  });

  it('cheapest: takes the cheapest target whose context window fits', async () => {
    const small = await client.chat.completions
      .create({ model: 'cheap', max_tokens: 10, messages: user('short') })
      .withResponse();
    expect(small.response.headers.get('x-baton-target')).toBe('b/small-cheap');
    const big = await client.chat.completions
      .create({ model: 'cheap', max_tokens: 10, messages: user('x'.repeat(2_000)) })
      .withResponse();
    expect(big.response.headers.get('x-baton-target')).toBe('c/mid');
  });

  it('latency: prefers the faster target once both are measured', async () => {
    a.fault({ delayMs: 60 }, { times: Number.POSITIVE_INFINITY });
    for (let i = 0; i < 4; i += 1)
      await client.chat.completions.create({ model: 'latency', messages: user('l') });
    const before = b.requests.length;
    for (let i = 0; i < 5; i += 1)
      await client.chat.completions.create({ model: 'latency', messages: user('l') });
    expect(b.requests.length - before).toBe(5);
  });

  it('conditional: routes on request metadata', async () => {
    const routed = await client.chat.completions
      .create({ model: 'router', metadata: { task: 'routing' }, messages: user('classify') })
      .withResponse();
    expect(routed.response.headers.get('x-baton-target')).toBe('a/tiny');
    expect(routed.response.headers.get('x-baton-route')).toBe('tiny');
    // Metadata routes; it is not sent upstream (OpenAI refuses it unless the completion is stored).
    expect(a.requests.at(-1)?.body).not.toHaveProperty('metadata');
    const plain = await client.chat.completions
      .create({ model: 'router', messages: user('think') })
      .withResponse();
    expect(plain.response.headers.get('x-baton-target')).toBe('c/smart');
  });
});
