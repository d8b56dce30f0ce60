/**
 * The Hono environment of the API app: what the middleware hands to the routes.
 * @module
 */
import type { Caller } from '../context.js';

/** Variables set on every authenticated request (`/v1/*`). */
export interface ApiEnv {
  Variables: {
    /** The API key that authenticated the request. */
    caller: Caller;
  };
}
