/**
 * The HTTP API app of `baton server`.
 * @module
 */
export { ACCESS, allow, mayCall, OPERATION_IDS, type OperationId } from './access.js';
export type { RateLimit } from './auth.js';
export { type ApiAppOptions, createApiApp, GATEWAY_PATHS } from './create-api-app.js';
export type { ApiEnv } from './env.js';
export { type ApiErrorBody, type ErrorLogger, toErrorResponse } from './errors.js';
export { referencePage } from './reference-page.js';
