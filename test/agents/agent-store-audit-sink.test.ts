/**
 * The store-backed tool audit sink against a real SQLite agent store: batches, the timer, flush and
 * close, and appends that fail without losing records or throwing out of `record`.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AgentAuditRecord, AgentStore } from '../../src/agents/state/port.js';
import { openSqliteAgentStore } from '../../src/agents/state/sqlite-agent-store.js';
import { StoreToolAuditSink, toolAuditRow } from '../../src/agents/state/store-audit-sink.js';
import type { ToolAuditRecord } from '../../src/tools/audit.js';
import { tempDir } from '../temp-dir.js';

const T0 = Date.UTC(2026, 10, 18, 10);

function call(n: number, extra: Partial<ToolAuditRecord> = {}): ToolAuditRecord {
  return {
    at: T0 + n,
    runId: 'run_1',
    stepId: 'act',
    tenant: 'acme',
    callId: `call_${n}`,
    tool: 'search',
    arguments: '{"q":"[EMAIL_1]"}',
    outcome: 'ok',
    attempts: 1,
    durationMs: 12,
    resultBytes: 100,
    truncated: false,
    ...extra,
  };
}

/** Fails the next `failures` appends, then appends to the real store. */
function flaky(store: AgentStore): {
  store: Pick<AgentStore, 'appendAudit'>;
  fail: (n: number) => void;
  calls: () => number;
} {
  let failures = 0;
  let calls = 0;
  return {
    store: {
      appendAudit: async (records: AgentAuditRecord[]) => {
        calls++;
        if (failures > 0) {
          failures--;
          throw new Error('database is locked');
        }
        await store.appendAudit(records);
      },
    },
    fail: (n) => {
      failures = n;
    },
    calls: () => calls,
  };
}

describe('StoreToolAuditSink', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    vi.useRealTimers();
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function store(): Promise<AgentStore> {
    const { dir, cleanup } = tempDir('baton-audit-');
    cleanups.push(cleanup);
    const s = await openSqliteAgentStore({ path: join(dir, 'baton.db') });
    cleanups.push(() => s.close());
    return s;
  }

  function sink(
    target: Pick<AgentStore, 'appendAudit'>,
    options: ConstructorParameters<typeof StoreToolAuditSink>[1] = {},
  ) {
    const s = new StoreToolAuditSink(target, options);
    cleanups.push(() => s.close().catch(() => undefined));
    return s;
  }

  it('turns a tool call into a tool audit row: the tool is the subject, the rest is data', () => {
    expect(
      toolAuditRow(call(0, { outcome: 'error', errorCode: 'TOOL_TIMEOUT', causeCode: undefined })),
    ).toEqual({
      at: T0,
      type: 'tool',
      tenant: 'acme',
      runId: 'run_1',
      stepId: 'act',
      subject: 'search',
      outcome: 'error',
      data: {
        callId: 'call_0',
        arguments: '{"q":"[EMAIL_1]"}',
        errorCode: 'TOOL_TIMEOUT',
        attempts: 1,
        durationMs: 12,
        resultBytes: 100,
        truncated: false,
      },
    });
    const bare = toolAuditRow(call(0, { tenant: undefined, runId: undefined, stepId: undefined }));
    expect(Object.keys(bare)).not.toContain('tenant');
    expect(Object.keys(bare)).not.toContain('runId');
  });

  it('appends buffered records on flush, in one batch, newest listed first', async () => {
    const s = await store();
    const appended: number[] = [];
    const audit = sink({
      appendAudit: async (records) => {
        appended.push(records.length);
        await s.appendAudit(records);
      },
    });
    for (let n = 0; n < 3; n++) audit.record(call(n));
    expect(await s.listAudit()).toEqual([]);
    await audit.flush();
    expect(appended).toEqual([3]);
    const rows = await s.listAudit({ type: 'tool' });
    expect(rows.map((r) => r.data.callId)).toEqual(['call_2', 'call_1', 'call_0']);
    expect(rows[0]).toEqual(toolAuditRow(call(2)));
  });

  it('appends on its timer, and at once when a batch is full', async () => {
    vi.useFakeTimers();
    const s = await store();
    const audit = sink(s, { intervalMs: 100, maxBatch: 4 });
    audit.record(call(0));
    await vi.advanceTimersByTimeAsync(99);
    expect(await s.listAudit()).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(await s.listAudit()).toHaveLength(1);
    for (let n = 1; n <= 4; n++) audit.record(call(n));
    // The fourth record fills a batch: written without waiting for the timer.
    await vi.advanceTimersByTimeAsync(0);
    expect(await s.listAudit()).toHaveLength(5);
  });

  it('a failing append throws neither from record nor loses the batch: it is retried, and reported', async () => {
    vi.useFakeTimers();
    const s = await store();
    const target = flaky(s);
    const errors: unknown[] = [];
    const audit = sink(target.store, { intervalMs: 100, onError: (e) => errors.push(e) });
    target.fail(2);
    expect(() => audit.record(call(0))).not.toThrow();
    // The timer's append fails: reported, kept.
    await vi.advanceTimersByTimeAsync(100);
    expect(errors).toHaveLength(1);
    audit.record(call(1));
    // An explicit flush fails too, and says so.
    await expect(audit.flush()).rejects.toThrow('database is locked');
    expect(errors).toHaveLength(2);
    expect(await s.listAudit()).toEqual([]);
    // The next append writes both, once.
    await vi.advanceTimersByTimeAsync(100);
    expect((await s.listAudit()).map((r) => r.data.callId)).toEqual(['call_1', 'call_0']);
    expect(target.calls()).toBe(3);
    expect(audit.dropped).toBe(0);
  });

  it('a throwing onError callback loses nothing either', async () => {
    const s = await store();
    const target = flaky(s);
    const audit = sink(target.store, {
      onError: () => {
        throw new Error('logger down');
      },
    });
    target.fail(1);
    audit.record(call(0));
    await expect(audit.flush()).rejects.toThrow('database is locked');
    await audit.flush();
    expect(await s.listAudit()).toHaveLength(1);
  });

  it('counts what it drops when appends fail for longer than maxBuffered records', async () => {
    const s = await store();
    const target = flaky(s);
    const audit = sink(target.store, { maxBuffered: 2 });
    target.fail(1);
    for (let n = 0; n < 3; n++) audit.record(call(n));
    expect(audit.dropped).toBe(1);
    await expect(audit.flush()).rejects.toThrow();
    await audit.flush();
    expect((await s.listAudit()).map((r) => r.data.callId)).toEqual(['call_2', 'call_1']);
  });

  it('close appends what is left; after close records are counted, not kept; close twice is fine', async () => {
    const s = await store();
    const audit = sink(s);
    audit.record(call(0));
    await audit.close();
    expect(await s.listAudit()).toHaveLength(1);
    audit.record(call(1));
    expect(audit.dropped).toBe(1);
    await audit.close();
    expect(await s.listAudit()).toHaveLength(1);
  });

  it('a close whose last append fails says so, counts the records and leaves no timer behind', async () => {
    const s = await store();
    const target = flaky(s);
    const audit = sink(target.store, { intervalMs: 60_000 });
    target.fail(1);
    audit.record(call(0));
    audit.record(call(1));
    await expect(audit.close()).rejects.toThrow('database is locked');
    expect(audit.dropped).toBe(2);
    expect(target.calls()).toBe(1);
    // No timer left: the file's leak check (test/no-leaks.ts) would fail otherwise.
  });
});
