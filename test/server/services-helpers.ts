/** Shared fixtures of the background services tests: a server context on a real engine and control store, a clock, a receiver. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { ServerContext } from '../../src/server/context.js';
import type { ControlStore } from '../../src/server/control/port.js';
import { openSqliteControlStore } from '../../src/server/control/sqlite-control-store.js';
import { createEventTriggers } from '../../src/server/services/index.js';
import { type TestBaton, useEngines } from '../helpers.js';

/** A clock that moves only when told. */
export class TestClock {
  t = Date.now();
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** A server context whose engine, control store and clock the test can reach. */
export interface TestContext {
  ctx: ServerContext;
  baton: TestBaton;
  control: ControlStore;
  clock: TestClock;
}

/** Opens server contexts on fresh SQLite files; everything is closed after each test. */
export function useServerContexts(): () => Promise<TestContext> {
  const engine = useEngines();
  let stores: ControlStore[] = [];
  // Registered after useEngines: hooks unwind as a stack, so control stores close before their directory goes.
  afterEach(async () => {
    for (const s of stores) await s.close();
    stores = [];
  });
  return async () => {
    const baton = await engine();
    const clock = new TestClock();
    const control = await openSqliteControlStore({
      path: join(baton.where.dataDir ?? '.', 'control.db'),
      now: clock.now,
    });
    stores.push(control);
    const base = { baton, control, now: clock.now };
    const ctx: ServerContext = { ...base, triggers: createEventTriggers(base) };
    return { ctx, baton, control, clock };
  };
}

/** A request a receiver got. */
export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  path: string;
}

/** A webhook receiver on loopback. */
export interface Receiver {
  url: string;
  received: Received[];
  /** Answers the next requests with this (status, or a function deciding it); `hang` never answers. */
  respond: (answer: number | 'hang' | ((r: Received) => number)) => void;
  close(): Promise<void>;
}

/** Starts a receiver that records every request and answers 200 unless told otherwise. */
export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  let answer: number | 'hang' | ((r: Received) => number) = 200;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        path: req.url ?? '',
      };
      received.push(r);
      if (answer === 'hang') return;
      const status = typeof answer === 'function' ? answer(r) : answer;
      if (status >= 300 && status < 400) res.setHeader('location', 'http://127.0.0.1:9/elsewhere');
      res.writeHead(status, { 'content-type': 'text/plain' }).end('x'.repeat(1000));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    respond: (a) => {
      answer = a;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
