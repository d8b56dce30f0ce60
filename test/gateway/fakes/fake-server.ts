/**
 * The plumbing shared by the fake upstreams: a node:http server on 127.0.0.1, request recording,
 * concurrency counting, fault application and a clean close. Each provider file supplies only its
 * wire protocol (a {@link FakeProtocol}).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Fault, type FaultMatch, FaultPlan, sleep } from './faults.js';

/** One request as the fake received it, for assertions. */
export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  /** Lower-cased header names, as node:http gives them. */
  headers: Record<string, string | string[] | undefined>;
  /** The body parsed as JSON; `undefined` when empty or not JSON (see `rawBody`). */
  body: unknown;
  rawBody: string;
  /** When the body was fully received (milliseconds, from the `now` option). */
  receivedAt: number;
}

/** Options common to every fake upstream. */
export interface FakeServerOptions {
  /**
   * API keys accepted; any non-empty key when absent.
   * @defaultValue any key
   */
  apiKeys?: string[];
  /** Clock for `receivedAt` and the `created` fields. @defaultValue Date.now */
  now?: () => number;
}

/** How a provider's handler answers. Faults on the body (`cutAfterChunks`) are applied here. */
export interface Responder {
  /** Sends a JSON body. */
  json(status: number, body: unknown, headers?: Record<string, string>): Promise<void>;
  /** Sends the provider's error body for this status. */
  error(status: number, message: string, headers?: Record<string, string>): Promise<void>;
  /** Starts a streamed answer; each `write` is one chunk for `delayMsBetweenChunks` and `cutAfterChunks`. */
  stream(contentType: string, headers?: Record<string, string>): ChunkWriter;
}

/** A streamed answer being written. */
export interface ChunkWriter {
  /** Writes one chunk; rejects with {@link StreamCut} once the fault has cut the stream. */
  write(chunk: string): Promise<void>;
  end(): void;
}

/** What a provider supplies to the shared server. */
export interface FakeProtocol {
  /** An error message when the request's credentials are missing or wrong (answered 401/400/403). */
  authenticate(request: RecordedRequest, apiKeys: string[] | undefined): AuthFailure | undefined;
  /** The provider's error body for a status. */
  errorBody(status: number, message: string): unknown;
  /** Whether the request asks for a streamed answer (decides the shape of `malformedJson`). */
  isStream(request: RecordedRequest): boolean;
  /** Answers a request that no fault intercepted. */
  handle(request: RecordedRequest, respond: Responder): Promise<void>;
}

/** Why a request was refused before routing. */
export interface AuthFailure {
  status: number;
  message: string;
}

/** A running fake upstream. */
export interface FakeServer {
  /** Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** Every request received, in arrival order (faulted ones included). */
  readonly requests: RecordedRequest[];
  /** Requests being answered right now. */
  readonly inFlight: number;
  /** The most requests ever answered at once. */
  readonly peakInFlight: number;
  /** Adds a fault rule (after the existing ones). @example `fake.fault({ status: 429, retryAfter: '2' }, { times: 2 })` */
  fault(fault: Fault, match?: FaultMatch): void;
  /** Removes every fault rule. */
  clearFaults(): void;
  /** Closes the server, ending hanging and delayed requests and every open connection. */
  close(): Promise<void>;
}

/** Thrown inside a handler once a fault has cut its stream; the server swallows it. */
export class StreamCut extends Error {
  constructor() {
    super('stream cut by a fault');
    this.name = 'StreamCut';
  }
}

/** Starts a fake upstream on 127.0.0.1 with an OS-chosen port. */
export async function startFakeServer(
  protocol: FakeProtocol,
  options: FakeServerOptions = {},
): Promise<FakeServer> {
  const now = options.now ?? Date.now;
  const requests: RecordedRequest[] = [];
  const plan = new FaultPlan();
  const closing = new AbortController();
  const open = new Set<ServerResponse>();
  let inFlight = 0;
  let peakInFlight = 0;

  const server = createServer((req, res) => {
    inFlight += 1;
    peakInFlight = Math.max(peakInFlight, inFlight);
    open.add(res);
    res.on('close', () => {
      inFlight -= 1;
      open.delete(res);
    });
    answer(req, res).catch((error: unknown) => {
      if (error instanceof StreamCut || closing.signal.aborted) return;
      // A bug in a fake must fail the test visibly, not hang it: answer 500 with the reason.
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`fake upstream failed: ${String(error)}`);
      } else {
        res.destroy();
      }
    });
  });

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const recorded = await record(req, now);
    requests.push(recorded);
    const fault = plan.take(recorded) ?? {};
    // Left open on purpose; close() destroys it.
    if (fault.hang) return;
    await sleep(fault.delayMs ?? 0, closing.signal);
    const respond = responder(res, protocol, fault, closing.signal);
    const refused = protocol.authenticate(recorded, options.apiKeys);
    if (refused) return respond.error(refused.status, refused.message);
    if (fault.status !== undefined) {
      const headers: Record<string, string> = {};
      if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
      return respond.error(
        fault.status,
        fault.message ?? `fake upstream fault: status ${fault.status}`,
        headers,
      );
    }
    if (fault.malformedJson) {
      const stream = protocol.isStream(recorded);
      res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
      res.end(stream ? 'data: {"id": "chunk", "choices": [{\n\n' : '{"id": "broken", "choices": [');
      return;
    }
    if (recorded.rawBody !== '' && recorded.body === undefined) {
      return respond.error(400, 'the request body is not valid JSON');
    }
    await protocol.handle(recorded, respond);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get inFlight() {
      return inFlight;
    },
    get peakInFlight() {
      return peakInFlight;
    },
    fault: (fault, match) => plan.add(fault, match),
    clearFaults: () => plan.clear(),
    close: async () => {
      closing.abort();
      for (const res of open) res.destroy();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

async function record(req: IncomingMessage, now: () => number): Promise<RecordedRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const rawBody = Buffer.concat(chunks).toString('utf8');
  let body: unknown;
  try {
    body = rawBody === '' ? undefined : JSON.parse(rawBody);
  } catch {
    body = undefined;
  }
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { ...req.headers },
    body,
    rawBody,
    receivedAt: now(),
  };
}

function responder(
  res: ServerResponse,
  protocol: FakeProtocol,
  fault: Fault,
  signal: AbortSignal,
): Responder {
  const json = async (status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      ...headers,
    });
    if (fault.cutAfterChunks !== undefined) {
      await write(res, text.slice(0, Math.floor(text.length / 2)));
      res.destroy();
      throw new StreamCut();
    }
    res.end(text);
  };
  return {
    json,
    error: (status, message, headers) => json(status, protocol.errorBody(status, message), headers),
    stream: (contentType, headers = {}) => {
      res.writeHead(200, {
        'content-type': contentType,
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        ...headers,
      });
      let sent = 0;
      return {
        write: async (chunk) => {
          if (res.destroyed) throw new StreamCut();
          if (sent > 0) await sleep(fault.delayMsBetweenChunks ?? 0, signal);
          await write(res, chunk);
          sent += 1;
          if (fault.cutAfterChunks !== undefined && sent >= fault.cutAfterChunks) {
            res.destroy();
            throw new StreamCut();
          }
        },
        end: () => res.end(),
      };
    },
  };
}

/** Writes and waits until node:http has handed the bytes to the socket, so a cut right after keeps them. */
function write(res: ServerResponse, chunk: string): Promise<void> {
  return new Promise((resolve, reject) => {
    res.write(chunk, (error) => (error ? reject(error) : resolve()));
  });
}

/** The value of a header that may be repeated. */
export function header(request: RecordedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
