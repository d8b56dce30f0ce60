/**
 * Checks of a model's plan proposal that come before the spec validator: its JSON shape, the
 * workflow's allow-list, and its size and depth. Every problem is reported with a path into the
 * proposal (`steps[2].tool`), so the model can repair exactly what is wrong.
 * @module
 */
import { isRecord } from '../../spec/issues.js';

/** What a plan may contain. Lists that are absent allow nothing of their sort, except `prompts`. */
export interface PlanAllow {
  /** Step kinds the plan may use (`llm`, `tool`, `agent`, `fn`, ...); `plan` only if listed. */
  kinds: string[];
  /** Tools `tool` steps may call. */
  tools?: string[];
  /** Agents steps with an `agent` field may run. */
  agents?: string[];
  /** Prompt files `llm` steps may use; any prompt when absent. */
  prompts?: string[];
  /** Registered functions `fn` (and `map`, `compensate`) may call. */
  functions?: string[];
  /** Most steps in the plan. */
  maxSteps: number;
  /** Longest chain of `needs`, counted in steps (a plan of independent steps has depth 1). */
  maxDepth: number;
}

/** A problem in a proposal. `code` is a spec issue code or one of the plan's own (`NOT_ALLOWED`, ...). */
export interface PlanIssue {
  path: string;
  code: string;
  message: string;
}

/** A proposal that passed the structural check. */
export interface PlanProposal {
  steps: Array<Record<string, unknown> & { id: string; kind: string }>;
  /** JSONata expression computing the plan's output; the outputs of its last steps when absent. */
  output?: string;
}

/**
 * Parses the model's answer and checks its shape: an object with a non-empty `steps` list of objects
 * with a string `id` and `kind`, and an optional string `output`.
 */
export function readProposal(text: string): { proposal?: PlanProposal; issues: PlanIssue[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { issues: [issue('', 'INVALID_PROPOSAL', `the answer is not JSON (${(err as Error).message})`)] };
  }
  if (!isRecord(value)) {
    return { issues: [issue('', 'INVALID_PROPOSAL', 'the plan must be a JSON object with "steps"')] };
  }
  const issues: PlanIssue[] = [];
  for (const key of Object.keys(value)) {
    if (key !== 'steps' && key !== 'output') {
      issues.push(issue(key, 'INVALID_PROPOSAL', `unknown field "${key}"; a plan has "steps" and "output"`));
    }
  }
  if (value.output !== undefined && typeof value.output !== 'string') {
    issues.push(issue('output', 'INVALID_PROPOSAL', '"output" must be a JSONata expression (a string)'));
  }
  const steps = value.steps;
  if (!Array.isArray(steps) || steps.length === 0) {
    issues.push(issue('steps', 'INVALID_PROPOSAL', '"steps" must be a non-empty list of steps'));
    return { issues };
  }
  steps.forEach((step, i) => {
    if (!isRecord(step)) {
      issues.push(issue(`steps[${i}]`, 'INVALID_PROPOSAL', 'a step must be an object with "id" and "kind"'));
      return;
    }
    for (const field of ['id', 'kind']) {
      if (typeof step[field] !== 'string' || step[field] === '') {
        issues.push(
          issue(`steps[${i}].${field}`, 'INVALID_PROPOSAL', `"${field}" must be a non-empty string`),
        );
      }
    }
  });
  if (issues.length > 0) return { issues };
  return { proposal: value as unknown as PlanProposal, issues };
}

/** The steps or calls the allow-list refuses. */
export function checkAllowed(proposal: PlanProposal, allow: PlanAllow): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const refuse = (path: string, what: string, list: readonly string[] | undefined) =>
    issues.push(
      issue(
        path,
        'NOT_ALLOWED',
        `${what} is not allowed in this plan (allowed: ${list && list.length > 0 ? list.join(', ') : 'none'})`,
      ),
    );
  proposal.steps.forEach((step, i) => {
    const at = `steps[${i}]`;
    if (!allow.kinds.includes(step.kind)) refuse(`${at}.kind`, `step kind "${step.kind}"`, allow.kinds);
    if (step.kind === 'tool' && !allow.tools?.includes(String(step.tool))) {
      refuse(`${at}.tool`, `tool "${String(step.tool)}"`, allow.tools);
    }
    if ('agent' in step && !allow.agents?.includes(String(step.agent))) {
      refuse(`${at}.agent`, `agent "${String(step.agent)}"`, allow.agents);
    }
    if (step.kind === 'llm' && allow.prompts && step.prompt !== undefined) {
      const name = promptName(step.prompt);
      if (name === undefined || !allow.prompts.includes(name)) {
        refuse(`${at}.prompt`, `prompt "${name ?? JSON.stringify(step.prompt)}"`, allow.prompts);
      }
    }
    if (typeof step.fn === 'string' && !allow.functions?.includes(step.fn)) {
      refuse(`${at}.fn`, `function "${step.fn}"`, allow.functions);
    }
    const compensate = step.compensate;
    if (
      isRecord(compensate) &&
      typeof compensate.fn === 'string' &&
      !allow.functions?.includes(compensate.fn)
    ) {
      refuse(`${at}.compensate.fn`, `function "${compensate.fn}"`, allow.functions);
    }
  });
  return issues;
}

/** Too many steps, or a chain of `needs` longer than allowed. */
export function checkSize(proposal: PlanProposal, allow: PlanAllow): PlanIssue[] {
  const issues: PlanIssue[] = [];
  if (proposal.steps.length > allow.maxSteps) {
    issues.push(
      issue(
        'steps',
        'TOO_MANY_STEPS',
        `the plan has ${proposal.steps.length} steps; at most ${allow.maxSteps} are allowed`,
      ),
    );
  }
  const depth = planDepth(proposal.steps);
  if (depth > allow.maxDepth) {
    issues.push(
      issue(
        'steps',
        'TOO_DEEP',
        `the longest chain of needs is ${depth} steps; at most ${allow.maxDepth} are allowed (run independent steps side by side)`,
      ),
    );
  }
  return issues;
}

/**
 * The number of steps on the longest chain of `needs`. Unknown needs and cycles are left to the spec
 * validator, which names them; here they just end a chain.
 */
export function planDepth(steps: ReadonlyArray<{ id: string; needs?: unknown }>): number {
  const byId = new Map(steps.map((step) => [step.id, step]));
  const memo = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (id: string): number => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const step = byId.get(id);
    if (!step || visiting.has(id)) return 0;
    visiting.add(id);
    const needs = Array.isArray(step.needs) ? step.needs.filter((n) => typeof n === 'string') : [];
    const depth = 1 + Math.max(0, ...needs.map(depthOf));
    visiting.delete(id);
    memo.set(id, depth);
    return depth;
  };
  return Math.max(0, ...steps.map((step) => depthOf(step.id)));
}

function promptName(ref: unknown): string | undefined {
  if (typeof ref === 'string') return ref.split('@')[0];
  if (isRecord(ref) && typeof ref.name === 'string') return ref.name;
  return undefined;
}

function issue(path: string, code: string, message: string): PlanIssue {
  return { path, code, message };
}
