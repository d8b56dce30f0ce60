import { describe, expect, it } from 'vitest';
import type { HistoryEvent, Run } from '../../src/core/types.js';
import { until } from '../until.js';
import { type ApiHarness, useApiHarness } from './api-harness.js';

const open = useApiHarness();

async function submit(h: ApiHarness, key: string, body: unknown, headers: Record<string, string> = {}) {
  return h.json<Run>('POST', '/v1/runs', { key, body, headers });
}

/** Reads a whole SSE response into its messages. */
async function sseMessages(res: Response): Promise<{ id?: string; event?: string; data: string }[]> {
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '' && !block.startsWith(':'))
    .map((block) => {
      const msg: { id?: string; event?: string; data: string } = { data: '' };
      for (const line of block.split('\n')) {
        const [field, ...rest] = line.split(': ');
        const value = rest.join(': ');
        if (field === 'id') msg.id = value;
        else if (field === 'event') msg.event = value;
        else if (field === 'data') msg.data += value;
      }
      return msg;
    });
}

describe('runs API', () => {
  it('submits with 202 at once, and the run finishes', async () => {
    const h = await open();
    const key = await h.keyFor('developer');
    const res = await submit(h, key, { workflow: 'echo', input: { n: 1 }, tags: ['a'], priority: 5 });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ workflow: 'echo', tenant: 'acme', priority: 5, tags: ['a'] });
    expect(res.headers.get('location')).toBe(`/v1/runs/${res.body.id}`);
    await h.baton.waitForRun(res.body.id, { timeoutMs: 10_000 });
    const got = await h.json<Run & { steps: { stepId: string; status: string }[] }>(
      'GET',
      `/v1/runs/${res.body.id}`,
      {
        key,
      },
    );
    expect(got.body).toMatchObject({ status: 'succeeded', output: { echo: { echoed: { n: 1 } } } });
    expect(got.body.steps).toEqual([expect.objectContaining({ stepId: 'echo', status: 'succeeded' })]);
  });

  it('returns the same run for the same Idempotency-Key', async () => {
    const h = await open({ worker: false });
    const key = await h.keyFor('operator');
    const first = await submit(h, key, { workflow: 'echo', input: {} }, { 'idempotency-key': 'order-1' });
    const again = await submit(h, key, { workflow: 'echo', input: {} }, { 'idempotency-key': 'order-1' });
    const other = await submit(h, key, { workflow: 'echo', input: {} }, { 'idempotency-key': 'order-2' });
    expect(first.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    expect(other.body.id).not.toBe(first.body.id);
  });

  it('pins a version and records a budget as a tag', async () => {
    const h = await open({ worker: false });
    const key = await h.keyFor('developer');
    const res = await submit(h, key, { workflow: 'echo', version: 1, budgetUsd: 2.5, input: {} });
    expect(res.body).toMatchObject({ versionId: 'echo@1', tags: ['budget-usd:2.5'] });
    const missing = await submit(h, key, { workflow: 'echo', version: 9, input: {} });
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'VERSION_NOT_FOUND' } } });
  });

  it('lists with filters and cursor pagination', async () => {
    const h = await open({ worker: false });
    const key = await h.keyFor('developer');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(
        (await submit(h, key, { workflow: 'echo', input: { i }, tags: [i % 2 ? 'odd' : 'even'] })).body.id,
      );
    }
    const waiter = (await submit(h, key, { workflow: 'waiter', input: {} })).body.id;

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: Run[]; next_cursor: string | null } } = await h.json(
        'GET',
        `/v1/runs?workflow=echo&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { key },
      );
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((r) => r.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());

    const odd = await h.json<{ data: Run[] }>('GET', '/v1/runs?tag=odd', { key });
    expect(odd.body.data.map((r) => r.id).sort()).toEqual([ids[1], ids[3]].sort());
    const byVersion = await h.json<{ data: Run[] }>('GET', '/v1/runs?version=waiter@1', { key });
    expect(byVersion.body.data.map((r) => r.id)).toEqual([waiter]);
    const queued = await h.json<{ data: Run[] }>('GET', '/v1/runs?status=queued,running,waiting', { key });
    expect(queued.body.data).toHaveLength(6);
    const future = await h.json<{ data: Run[] }>('GET', `/v1/runs?createdAfter=${Date.now() + 60_000}`, {
      key,
    });
    expect(future.body.data).toEqual([]);
    const past = await h.json<{ data: Run[] }>(
      'GET',
      `/v1/runs?createdBefore=${new Date(Date.now() + 60_000).toISOString()}`,
      { key },
    );
    expect(past.body.data).toHaveLength(6);
  });

  it('filters runs waiting for an approval', async () => {
    const h = await open();
    const key = await h.keyFor('developer');
    const pay = (await submit(h, key, { workflow: 'payout', input: { amount: 5 } })).body.id;
    const wait = (await submit(h, key, { workflow: 'waiter', input: {} })).body.id;
    await until('the run to wait', async () => (await h.baton.getRun(pay)).status === 'waiting');
    await until('the run to wait', async () => (await h.baton.getRun(wait)).status === 'waiting');
    const res = await h.json<{ data: Run[] }>('GET', '/v1/runs?status=waiting_for_approval', { key });
    expect(res.body.data.map((r) => r.id)).toEqual([pay]);
  });

  it('cancels a run once, then answers 409', async () => {
    const h = await open();
    const key = await h.keyFor('operator');
    const run = (await submit(h, key, { workflow: 'waiter', input: {} })).body;
    const cancelled = await h.json<Run>('POST', `/v1/runs/${run.id}/cancel`, {
      key,
      body: { reason: 'not needed' },
    });
    expect(cancelled).toMatchObject({ status: 200, body: { status: 'cancelled' } });
    const again = await h.json('POST', `/v1/runs/${run.id}/cancel`, { key });
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'RUN_ALREADY_FINISHED' } } });
    const audit = await h.control.listAudit({ tenant: 'acme', action: 'run.cancel' });
    expect(audit).toEqual([expect.objectContaining({ target: run.id, details: { reason: 'not needed' } })]);
  });

  it('reruns with the same version, input and tags, tagged rerun-of', async () => {
    const h = await open({ worker: false });
    const key = await h.keyFor('operator');
    const first = (await submit(h, key, { workflow: 'echo', input: { x: 1 }, tags: ['t'] })).body;
    const rerun = await h.json<Run>('POST', `/v1/runs/${first.id}/rerun`, { key });
    expect(rerun.status).toBe(202);
    expect(rerun.body).toMatchObject({ workflow: 'echo', versionId: first.versionId, input: { x: 1 } });
    expect(rerun.body.tags).toEqual(['t', `rerun-of:${first.id}`]);
    expect(rerun.body.id).not.toBe(first.id);
  });

  it('reads history after a seq', async () => {
    const h = await open();
    const key = await h.keyFor('viewer');
    const dev = await h.keyFor('developer');
    const run = (await submit(h, dev, { workflow: 'echo', input: {} })).body;
    await h.baton.waitForRun(run.id, { timeoutMs: 10_000 });
    const all = await h.json<{ data: HistoryEvent[] }>('GET', `/v1/runs/${run.id}/history`, { key });
    expect(all.body.data[0]?.type).toBe('run-created');
    expect(all.body.data.at(-1)?.type).toBe('run-succeeded');
    const second = all.body.data[1] as HistoryEvent;
    const after = await h.json<{ data: HistoryEvent[] }>(
      'GET',
      `/v1/runs/${run.id}/history?afterSeq=${second.seq}`,
      { key },
    );
    expect(after.body.data).toEqual(all.body.data.slice(2));
  });

  it('streams the events of a running run as SSE and ends at the terminal event', async () => {
    const h = await open();
    const key = await h.keyFor('developer');
    const run = (await submit(h, key, { workflow: 'waiter', input: {} })).body;
    await until('the run to wait', async () => (await h.baton.getRun(run.id)).status === 'waiting');
    const res = await h.call('GET', `/v1/runs/${run.id}/events`, { key });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const messages = sseMessages(res);
    // Published while the stream is open: the stream sees the run wake up and finish.
    const published = await h.json('POST', '/v1/events', { key, body: { key: 'go', payload: { ok: 1 } } });
    expect(published).toMatchObject({ status: 200, body: { woken: 1, triggered: [] } });
    const got = await messages;
    const types = got.map((m) => m.event);
    expect(types[0]).toBe('run-created');
    expect(types).toContain('event-received');
    expect(types.at(-2)).toBe('run-succeeded');
    expect(got.at(-1)).toEqual({
      event: 'end',
      data: JSON.stringify({ runId: run.id, status: 'succeeded' }),
    });
    const seqs = got.slice(0, -1).map((m) => Number(m.id));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

    // Resuming after an event id replays only what followed, for a run that has finished meanwhile.
    const resumeFrom = got[2]?.id as string;
    const resumed = await sseMessages(
      await h.call('GET', `/v1/runs/${run.id}/events`, { key, headers: { 'last-event-id': resumeFrom } }),
    );
    expect(resumed.map((m) => m.id)).toEqual([...got.slice(3).map((m) => m.id)]);
    const viaQuery = await sseMessages(
      await h.call('GET', `/v1/runs/${run.id}/events?after=${resumeFrom}`, { key }),
    );
    expect(viaQuery.length).toBe(resumed.length);
  });

  it('keeps a quiet stream alive with comments', async () => {
    const h = await open({ app: { streamHeartbeatMs: 10 } });
    const key = await h.keyFor('developer');
    const run = (await submit(h, key, { workflow: 'waiter', input: {} })).body;
    const res = await h.call('GET', `/v1/runs/${run.id}/events`, { key });
    const reader = (res.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes(': keep-alive')) text += (await reader.read()).value ?? '';
    await h.json('POST', '/v1/events', { key, body: { key: 'go' } });
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += chunk.value;
    expect(text).toContain('event: end');
  });

  it('hides runs of other tenants as not found', async () => {
    const h = await open({ worker: false });
    const acme = await h.keyFor('admin', 'acme');
    const globex = await h.keyFor('admin', 'globex');
    const run = (await submit(h, acme, { workflow: 'echo', input: {} })).body;
    for (const [method, path] of [
      ['GET', `/v1/runs/${run.id}`],
      ['GET', `/v1/runs/${run.id}/history`],
      ['GET', `/v1/runs/${run.id}/events`],
      ['POST', `/v1/runs/${run.id}/cancel`],
      ['POST', `/v1/runs/${run.id}/rerun`],
    ] as const) {
      const res = await h.json(method, path, { key: globex });
      expect([path, res.status, (res.body as { error: { code: string } }).error.code]).toEqual([
        path,
        404,
        'RUN_NOT_FOUND',
      ]);
    }
    expect((await h.json<{ data: Run[] }>('GET', '/v1/runs', { key: globex })).body.data).toEqual([]);
  });
});

describe('events API', () => {
  it('wakes only the publishing tenant’s runs waiting on the key', async () => {
    const h = await open();
    const acme = await h.keyFor('operator', 'acme');
    const globex = await h.keyFor('operator', 'globex');
    const run = (await submit(h, acme, { workflow: 'waiter', input: {} })).body;
    await until('the run to wait', async () => (await h.baton.getRun(run.id)).status === 'waiting');

    const other = await h.json<{ woken: number }>('POST', '/v1/events', { key: globex, body: { key: 'go' } });
    expect(other).toMatchObject({ status: 200, body: { woken: 0 } });
    expect((await h.baton.getRun(run.id)).status).toBe('waiting');

    const own = await h.json<{ woken: number }>('POST', '/v1/events', { key: acme, body: { key: 'go' } });
    expect(own).toMatchObject({ status: 200, body: { woken: 1 } });
    await h.baton.waitForRun(run.id, { timeoutMs: 10_000 });
    expect((await h.baton.getRun(run.id)).status).toBe('succeeded');
  });

  it('scopes events by tenant and fires the tenant’s event triggers', async () => {
    const h = await open();
    const acme = await h.keyFor('developer', 'acme');
    const globex = await h.keyFor('developer', 'globex');
    const acmeRun = (await submit(h, acme, { workflow: 'waiter', input: {} })).body;
    const globexRun = (await submit(h, globex, { workflow: 'waiter', input: {} })).body;
    await until('the run to wait', async () => (await h.baton.getRun(acmeRun.id)).status === 'waiting');
    await until('the run to wait', async () => (await h.baton.getRun(globexRun.id)).status === 'waiting');
    const trigger = await h.json<{ id: string }>('POST', '/v1/triggers', {
      key: acme,
      body: { type: 'event', workflow: 'echo', eventType: 'go', input: { from: 'trigger' } },
    });
    expect(trigger.status).toBe(201);

    const res = await h.json<{ woken: number; triggered: string[] }>('POST', '/v1/events', {
      key: acme,
      body: { key: 'go', payload: { n: 1 } },
    });
    expect(res.body.woken).toBe(1);
    expect(res.body.triggered).toHaveLength(1);
    const started = await h.baton.getRun(res.body.triggered[0] as string);
    expect(started).toMatchObject({
      tenant: 'acme',
      workflow: 'echo',
      input: { from: 'trigger', event: { key: 'go', payload: { n: 1 } } },
    });
    await h.baton.waitForRun(acmeRun.id, { timeoutMs: 10_000 });
    expect((await h.baton.getRun(globexRun.id)).status).toBe('waiting');
    const publishTwice = async () =>
      h.json<{ triggered: string[] }>('POST', '/v1/events', {
        key: acme,
        body: { key: 'go.again' },
        headers: { 'idempotency-key': 'evt-7' },
      });
    const [once, twice] = [await publishTwice(), await publishTwice()];
    expect(once.body.triggered).toHaveLength(1);
    expect(twice.body.triggered).toEqual(once.body.triggered);
    const audit = await h.control.listAudit({ tenant: 'acme', action: 'event.publish', target: 'go' });
    expect(audit[0]).toMatchObject({ target: 'go', details: { woken: 1 } });
  });
});
