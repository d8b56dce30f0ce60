/**
 * Who may call what: ONE table from each operation id (the `operationId` of its route in the OpenAPI
 * document) to the roles allowed. Routes check it through {@link allow}; the RBAC matrix test is
 * generated from it. Every check is within the caller's tenant: roles never reach across tenants.
 * @module
 */
import type { MiddlewareHandler } from 'hono';
import { BatonError } from '../../core/errors.js';
import type { Caller } from '../context.js';
import type { Role } from '../control/port.js';
import type { ApiEnv } from './env.js';

const READ: readonly Role[] = ['admin', 'developer', 'operator', 'approver', 'viewer'];
const AUTHOR: readonly Role[] = ['admin', 'developer'];
const RUN: readonly Role[] = ['admin', 'developer', 'operator'];
const DECIDE: readonly Role[] = ['admin', 'approver'];
const ADMIN: readonly Role[] = ['admin'];

/**
 * The roles allowed for each operation of the API. `admin` holds everything in its tenant;
 * `developer` workflows and runs; `operator` runs, cancel, rerun; `approver` approvals; `viewer` reads.
 */
export const ACCESS = {
  'workflows.list': READ,
  'workflows.get': READ,
  'workflows.diff': READ,
  'workflows.register': AUTHOR,
  'workflows.validate': AUTHOR,
  'runs.submit': RUN,
  'runs.list': READ,
  'runs.get': READ,
  'runs.cancel': RUN,
  'runs.rerun': RUN,
  // A replay executes the version's code (never a model or an effect): not for read-only roles.
  'runs.replay': RUN,
  'runs.fork': RUN,
  'runs.history': READ,
  'runs.spans': READ,
  'runs.stream': READ,
  'runs.step': READ,
  'events.publish': RUN,
  'approvals.list': READ,
  'approvals.get': READ,
  'approvals.decide': DECIDE,
  'approvals.reassign': DECIDE,
  'approvals.decided': READ,
  'triggers.list': READ,
  'triggers.get': READ,
  'triggers.create': AUTHOR,
  'triggers.update': AUTHOR,
  'triggers.delete': AUTHOR,
  // Webhook URLs often carry credentials (chat hooks): not shown to viewers and approvers.
  'webhooks.list': RUN,
  'webhooks.get': RUN,
  'webhooks.create': AUTHOR,
  'webhooks.delete': AUTHOR,
  'webhooks.deliveries': READ,
  'deliveries.get': READ,
  'deliveries.redeliver': RUN,
  'keys.list': ADMIN,
  'keys.create': ADMIN,
  'keys.revoke': ADMIN,
  'audit.list': ADMIN,
  'costs.get': READ,
  'stats.get': READ,
  'alerts.list': READ,
  'gateway.routes': READ,
  // Keys carry budgets and limits, the business of who builds with them: not for read-only roles.
  'gateway.keys': AUTHOR,
  'gateway.requests': READ,
  'session.get': READ,
} as const satisfies Record<string, readonly Role[]>;

/** The id of an authenticated API operation. */
export type OperationId = keyof typeof ACCESS;

/** Every operation id, in table order. */
export const OPERATION_IDS = Object.keys(ACCESS) as OperationId[];

/** True when the caller holds a role allowed for `operation`. */
export function mayCall(caller: Pick<Caller, 'roles'>, operation: OperationId): boolean {
  const allowed: readonly Role[] = ACCESS[operation];
  return caller.roles.some((role) => allowed.includes(role));
}

/** Route middleware: refuses with `FORBIDDEN` (403) a caller whose roles do not allow `operation`. */
export function allow(operation: OperationId): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const caller = c.get('caller');
    if (!mayCall(caller, operation)) {
      throw new BatonError('FORBIDDEN', `key ${caller.prefix} may not call ${operation}`, {
        hint: `It needs one of the roles ${ACCESS[operation].join(', ')}; ask an admin of tenant ${caller.tenant}`,
        details: { operation, roles: ACCESS[operation] },
      });
    }
    await next();
  };
}
