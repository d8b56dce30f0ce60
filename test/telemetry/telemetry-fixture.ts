/**
 * What the cost and alert tests share: a real engine on SQLite whose store runs on a test clock, a real
 * SQLite gateway ledger, and helpers that finish runs with a chosen start, duration and outcome and log
 * model calls for them.
 */
import { join } from 'node:path';
import { NonRetryableError } from '../../src/core/errors.js';
import type { Run } from '../../src/core/types.js';
import type { GatewayLedger, RequestLogEntry } from '../../src/gateway/ledger/port.js';
import { openSqliteLedger } from '../../src/gateway/ledger/sqlite-ledger.js';
import { Baton } from '../../src/runtime/baton.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { tempDir } from '../temp-dir.js';

/** A workflow of one step, `work`, that fails when its input says so. */
export const WORK_SPEC = (name: string) => `
name: ${name}
version: '1'
input: { type: object }
steps:
  - id: work
    kind: fn
    fn: work
    input: '$input'
`;

/** One model call of a run, logged at the run's start. */
export interface LoggedCall {
  stepId?: string;
  tokens?: number;
  costUsd?: number;
  status?: RequestLogEntry['status'];
  route?: string;
}

/** An engine and a ledger on a test clock. */
export interface TelemetryFixture {
  baton: Baton;
  ledger: GatewayLedger;
  clock: { t: number };
  dataDir: string;
  /** Runs `workflow` from `at` to `at + durationMs`, failed when `fail`, logging `calls` for it at `at`. */
  finishRun(spec: {
    workflow?: string;
    at: number;
    durationMs: number;
    fail?: boolean;
    tenant?: string;
    calls?: LoggedCall[];
  }): Promise<Run>;
  /** Logs calls made by no run (or by `runId`) at `at`. */
  logCalls(at: number, calls: LoggedCall[], extra?: Partial<RequestLogEntry>): Promise<void>;
  close(): Promise<void>;
}

let callSeq = 0;

/** Opens a fixture with `workflows` registered (default `triage`). */
export async function openTelemetryFixture(t0: number, workflows = ['triage']): Promise<TelemetryFixture> {
  const { dir, cleanup } = tempDir('baton-telemetry-');
  const clock = { t: t0 };
  const store = new SqliteStore({ path: join(dir, 'baton.db'), durability: 'normal', now: () => clock.t });
  const baton = await Baton.open({
    store,
    functions: {
      work: (args) => {
        if ((args as { fail?: boolean }).fail) throw new NonRetryableError('the test asked for a failure');
        return { ok: true };
      },
    },
  });
  for (const name of workflows) await baton.register(WORK_SPEC(name));
  const ledger = await openSqliteLedger({ path: join(dir, 'gateway.db') });

  const logCalls = async (at: number, calls: LoggedCall[], extra: Partial<RequestLogEntry> = {}) => {
    await ledger.appendRequests(
      calls.map((c) => ({
        id: `call_${++callSeq}`,
        at,
        tenant: 'default',
        route: c.route ?? 'fast',
        endpoint: 'chat',
        stream: false,
        status: c.status ?? 'ok',
        ...(c.status === 'error' ? { errorCode: 'PROVIDER_UNAVAILABLE' } : {}),
        inputTokens: c.tokens ?? 0,
        outputTokens: 0,
        cachedInputTokens: 0,
        reasoningTokens: 0,
        costUsd: c.costUsd ?? 0,
        latencyMs: 100,
        cacheHit: false,
        retries: 0,
        fallbacks: 0,
        ...(c.stepId ? { stepId: c.stepId } : {}),
        ...extra,
      })),
    );
  };

  return {
    baton,
    ledger,
    clock,
    dataDir: dir,
    async finishRun(spec) {
      clock.t = spec.at;
      const tenant = spec.tenant ?? 'default';
      const run = await baton.submit(spec.workflow ?? 'triage', { fail: spec.fail === true }, { tenant });
      if (spec.calls) await logCalls(spec.at, spec.calls, { runId: run.id, tenant });
      // The clock moves before the worker starts, so the run finishes exactly `durationMs` after it started.
      clock.t = spec.at + spec.durationMs;
      const worker = baton.worker({ concurrency: 1, pollMs: 5 });
      try {
        return await baton.waitForRun(run.id, { timeoutMs: 10_000, pollMs: 5 });
      } finally {
        await worker.stop();
      }
    },
    logCalls,
    async close() {
      await baton.close();
      await ledger.close();
      cleanup();
    },
  };
}
