/**
 * Authentication and rate limiting of `/v1/*`: a `Bearer bk_...` API key becomes the request's
 * {@link Caller}; each key then spends from its own in-memory token bucket.
 * @module
 */
import type { MiddlewareHandler } from 'hono';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { BatonError } from '../../core/errors.js';
import type { Caller } from '../context.js';
import type { ControlStore } from '../control/port.js';
import type { ApiEnv } from './env.js';

/** A key secret longer than this is refused without asking the store. */
const MAX_SECRET_LENGTH = 256;

/** Middleware: authenticates the request by API key, or refuses it with 401 `UNAUTHENTICATED`. */
export function authenticate(
  control: ControlStore,
  skip: (path: string) => boolean,
): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (skip(c.req.path)) return next();
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const secret = match?.[1];
    const key =
      secret && secret.length <= MAX_SECRET_LENGTH ? await control.findKeyBySecret(secret) : undefined;
    if (!key) {
      c.header('WWW-Authenticate', 'Bearer realm="baton"');
      throw new BatonError(
        'UNAUTHENTICATED',
        secret ? 'the API key is unknown, revoked or expired' : 'this endpoint needs an API key',
        { hint: 'Send `Authorization: Bearer bk_...`; an admin creates keys with `baton keys create`' },
      );
    }
    const caller: Caller = {
      keyId: key.id,
      prefix: key.prefix,
      name: key.name,
      tenant: key.tenant,
      roles: key.roles,
    };
    c.set('caller', caller);
    return next();
  };
}

/** Rate limit per API key. */
export interface RateLimit {
  /** Requests allowed per window. @defaultValue 1200 */
  points: number;
  /** Window length in seconds. @defaultValue 60 */
  durationSec: number;
}

/** Middleware: refuses a key over its limit with 429 `RATE_LIMITED` and `Retry-After`. */
export function rateLimit(limit: RateLimit): MiddlewareHandler<ApiEnv> {
  const limiter = new RateLimiterMemory({ points: limit.points, duration: limit.durationSec });
  return async (c, next) => {
    const caller = c.get('caller') as Caller | undefined;
    if (!caller) return next();
    try {
      await limiter.consume(caller.keyId);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      const retryAfterSec = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      c.header('Retry-After', String(retryAfterSec));
      throw new BatonError('RATE_LIMITED', `key ${caller.prefix} is over its rate limit`, {
        hint: `Retry after ${retryAfterSec} s, or ask an admin to raise the server's rate limit`,
        details: { limit: limit.points, windowSec: limit.durationSec, retryAfterSec },
      });
    }
    return next();
  };
}
