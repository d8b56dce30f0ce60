/**
 * Tenant scoping and auditing shared by the routes: a run of another tenant is "not found" exactly
 * like an unknown id, and every mutating call leaves an audit entry.
 * @module
 */
import { BatonError } from '../../core/errors.js';
import type { Run } from '../../core/types.js';
import type { Caller, ServerContext } from '../context.js';

/** The run, if it belongs to the caller's tenant; otherwise `RUN_NOT_FOUND` (404), as for an unknown id. */
export async function runOfTenant(ctx: ServerContext, caller: Caller, runId: string): Promise<Run> {
  const run = await ctx.baton.store.getRun(runId);
  if (!run || run.tenant !== caller.tenant) {
    throw new BatonError('RUN_NOT_FOUND', `run ${runId} does not exist`, {
      hint: 'List the runs of your tenant with GET /v1/runs',
      details: { runId },
    });
  }
  return run;
}

/** Appends an audit entry for a call of `caller` (its key id as actor; never a secret in `details`). */
export async function audit(
  ctx: ServerContext,
  caller: Caller,
  action: string,
  target: string,
  details: Record<string, unknown> = {},
): Promise<void> {
  await ctx.control.appendAudit({
    at: ctx.now(),
    tenant: caller.tenant,
    actor: caller.keyId,
    action,
    target,
    details,
  });
}

/** The cursor of the next page: the last item's id when the page is full, else `null`. */
export function nextCursor<T extends { id: string }>(items: T[], limit: number): string | null {
  return items.length >= limit && items.length > 0 ? (items[items.length - 1] as T).id : null;
}
