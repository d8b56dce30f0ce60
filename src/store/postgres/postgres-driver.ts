/**
 * The subset of `pg` that the adapter uses, so that the adapter's types do not depend on the driver's
 * and a compatible driver can be passed in.
 */

/** What a query returns. */
export interface PgResult<R = Record<string, unknown>> {
  rows: R[];
  rowCount: number | null;
}

/** Something that runs queries: a pooled client or a dedicated one. */
export interface PgQueryable {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<PgResult<R>>;
  /** A named statement: parsed and planned once per connection. */
  query<R = Record<string, unknown>>(config: {
    name: string;
    text: string;
    values: unknown[];
  }): Promise<PgResult<R>>;
}

/** A client checked out of the pool. */
export interface PgPoolClient extends PgQueryable {
  /** Give the client back; pass an error to destroy it instead (its connection may be broken). */
  release(destroy?: Error | boolean): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** A connection pool. */
export interface PgPool extends PgQueryable {
  connect(): Promise<PgPoolClient>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** A dedicated client (the listener). */
export interface PgClient extends PgQueryable {
  connect(): Promise<unknown>;
  end(): Promise<void>;
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error' | 'end', listener: (error?: Error) => void): unknown;
  removeAllListeners(): unknown;
}
