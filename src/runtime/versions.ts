import { createHash } from 'node:crypto';
import type { WorkflowDefinition } from '../core/definition.js';
import { BatonError } from '../core/errors.js';
import { DEFAULT_RETRY } from '../core/retry.js';
import type { Graph, StepNode } from '../core/types.js';
import type { NewVersion } from '../store/port.js';
import type { StepKind } from './kinds/step-kind.js';

/** Builds the serializable graph the state machine runs on from an executable definition. */
export function toGraph(def: WorkflowDefinition, kinds: ReadonlyMap<string, StepKind>): Graph {
  const steps: StepNode[] = def.steps.map((step) => {
    const kind = kinds.get(step.kind);
    if (!kind) {
      throw new BatonError(
        'UNKNOWN_STEP_KIND',
        `step "${step.id}" of workflow "${def.name}" has unknown kind "${step.kind}"`,
        {
          hint: `Known kinds: ${[...kinds.keys()].join(', ')}`,
        },
      );
    }
    return {
      id: step.id,
      kind: step.kind,
      needs: step.needs,
      conditional: step.when !== undefined,
      retry: { ...DEFAULT_RETRY, ...step.retry },
      ...(step.timeoutMs === undefined ? {} : { timeoutMs: step.timeoutMs }),
      effect: step.effect ?? false,
      idempotent: step.idempotent ?? false,
      compensable: step.compensate !== undefined,
      ...kind.node?.(step),
    };
  });
  return {
    workflow: def.name,
    steps,
    ...(def.runTimeoutMs === undefined ? {} : { runTimeoutMs: def.runTimeoutMs }),
    hasOutput: def.result !== undefined || def.output !== undefined,
  };
}

/** The registration of a definition: graph, stored definition and content hash. */
export function toNewVersion(def: WorkflowDefinition, kinds: ReadonlyMap<string, StepKind>): NewVersion {
  const graph = toGraph(def, kinds);
  const hash = createHash('sha256')
    .update(JSON.stringify({ label: def.version, source: def.source, definition: def.definition, graph }))
    .digest('hex')
    .slice(0, 16);
  return {
    workflow: def.name,
    label: def.version,
    hash,
    source: def.source,
    graph,
    definition: def.definition,
  };
}
