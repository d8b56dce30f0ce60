/**
 * The default registry of spec kinds, holding the built-in six.
 * @module
 */
import { type AnySpecKind, SpecKindRegistry } from './kind.js';
import { approvalKind } from './kinds/approval.js';
import { branchKind } from './kinds/branch.js';
import { fnKind } from './kinds/fn.js';
import { mapKind } from './kinds/map.js';
import { waitKind } from './kinds/wait.js';
import { workflowKind } from './kinds/workflow.js';

/** The kinds every spec may use: `fn`, `branch`, `map`, `wait`, `approval`, `workflow`. */
export const builtinSpecKinds: readonly AnySpecKind[] = [
  fnKind,
  branchKind,
  mapKind,
  waitKind,
  approvalKind,
  workflowKind,
];

/** The registry {@link validateSpec} and {@link compileSpec} use unless given another. */
export const specKinds: SpecKindRegistry = new SpecKindRegistry(builtinSpecKinds);

/**
 * Adds a step kind to the default registry.
 * @throws BatonError `INVALID_ARGUMENT` when the name is taken or the kind redefines a common field.
 */
export function registerSpecKind(kind: AnySpecKind): void {
  specKinds.register(kind);
}
