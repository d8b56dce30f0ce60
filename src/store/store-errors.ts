/**
 * The errors every adapter raises the same way for the same bad request, so that both say the same
 * thing and a caller can match on the same codes.
 * @module
 */
import { BatonError } from '../core/errors.js';
import type { WorkflowVersion } from '../core/types.js';

/** The JSON text of a run input or event payload, or `PAYLOAD_TOO_LARGE` if it is over the limit. */
export function boundedJson(what: 'run input' | 'event payload', value: unknown, limit: number): string {
  const json = JSON.stringify(value === undefined ? null : value);
  if (json.length > limit) {
    throw new BatonError(
      'PAYLOAD_TOO_LARGE',
      `${what} of ${json.length} bytes exceeds the ${limit}-byte limit`,
      {
        hint: 'Store large data elsewhere and pass a reference',
      },
    );
  }
  return json;
}

/** The run an idempotency key already names, unless it is of another workflow (`IDEMPOTENCY_CONFLICT`). */
export function checkIdempotentRun<R extends { id: string; workflow: string }>(
  key: string | undefined,
  existing: R,
  workflow: string,
): R {
  if (existing.workflow !== workflow) {
    throw new BatonError(
      'IDEMPOTENCY_CONFLICT',
      `idempotency key "${key}" already belongs to run ${existing.id} of workflow "${existing.workflow}"`,
      {
        hint: 'Use a key per submission',
        details: { runId: existing.id, workflow: existing.workflow },
      },
    );
  }
  return existing;
}

/** The version a new run is to use, or `VERSION_NOT_FOUND` / `WORKFLOW_NOT_FOUND`. */
export function versionToRun(
  request: { workflow: string; versionId?: string | undefined },
  version: WorkflowVersion | undefined,
): WorkflowVersion {
  if (version && version.workflow === request.workflow) return version;
  if (request.versionId) {
    throw new BatonError(
      'VERSION_NOT_FOUND',
      `workflow version ${request.versionId} of "${request.workflow}" does not exist`,
      { hint: `List versions with \`baton workflows show ${request.workflow}\`` },
    );
  }
  throw new BatonError('WORKFLOW_NOT_FOUND', `workflow "${request.workflow}" is not registered`, {
    hint: 'List workflows with `baton workflows list`',
  });
}
