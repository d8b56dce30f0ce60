/**
 * The dashboard's only way to the server: the public HTTP API, authenticated by the API key the user
 * signed in with. Errors come back as {@link ApiError} carrying the API's stable code.
 */
import { createParser } from 'eventsource-parser';

/** An error answered by the API (`{ error: { code, message, hint?, details? } }`) or by the network. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Query parameters; `undefined` and empty strings are left out. */
export type Query = Record<string, string | number | boolean | undefined | null>;

/** A client bound to one API key. */
export interface Api {
  get<T>(path: string, query?: Query): Promise<T>;
  post<T>(path: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
  /** GET returning text (`/metrics`). */
  text(path: string): Promise<string>;
  /**
   * Follows a Server-Sent Events stream until `signal` aborts or the server ends it. Returns when the
   * stream ends; throws ApiError when it cannot be opened.
   */
  stream(
    path: string,
    onEvent: (event: { id?: string; event?: string; data: string }) => void,
    signal: AbortSignal,
  ): Promise<void>;
}

/** Builds the query string of `query`. */
export function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

async function toError(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as {
      error?: { code?: string; message?: string; hint?: string; details?: unknown };
    };
    const e = body.error ?? {};
    return new ApiError(
      res.status,
      e.code ?? `HTTP_${res.status}`,
      e.message ?? res.statusText,
      e.hint,
      e.details,
    );
  } catch {
    return new ApiError(res.status, `HTTP_${res.status}`, res.statusText || 'request failed');
  }
}

/** A client for the API at `base` (the page's origin by default) with `key`. */
export function createApi(key: string, base = ''): Api {
  const headers = (extra?: Record<string, string>) => ({ authorization: `Bearer ${key}`, ...extra });
  async function send(path: string, init: RequestInit): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(base + path, init);
    } catch (err) {
      throw new ApiError(0, 'NETWORK', `cannot reach the server: ${(err as Error).message}`);
    }
    if (!res.ok) throw await toError(res);
    return res;
  }
  return {
    async get<T>(path: string, query?: Query) {
      const res = await send(path + queryString(query), { headers: headers() });
      return (await res.json()) as T;
    },
    async post<T>(path: string, body?: unknown, extra?: Record<string, string>) {
      const res = await send(path, {
        method: 'POST',
        headers: headers({ 'content-type': 'application/json', ...extra }),
        body: JSON.stringify(body ?? {}),
      });
      const text = await res.text();
      return (text ? JSON.parse(text) : undefined) as T;
    },
    async text(path: string) {
      const res = await send(path, { headers: headers() });
      return res.text();
    },
    async stream(path, onEvent, signal) {
      const res = await send(path, { headers: headers({ accept: 'text/event-stream' }), signal });
      if (!res.body) return;
      const parser = createParser({
        onEvent: (e) =>
          onEvent({ ...(e.id ? { id: e.id } : {}), ...(e.event ? { event: e.event } : {}), data: e.data }),
      });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          parser.feed(value);
        }
      } catch (err) {
        if (signal.aborted) return;
        throw err;
      }
    },
  };
}
