/**
 * Named fault points on the engine's hot paths, for crash tests. `BATON_FAULTS` lists
 * `point:step:n` entries (comma-separated); when `point` is reached for `step` (or `*`) for the n-th
 * time, the process kills itself with SIGKILL, exactly as a power cut or OOM kill would. Unset in
 * production: then a fault point is a single map lookup.
 *
 * Points: `step.after-body`, `item.after-body`, `compensate.after-body`, `finalize.after-body` (the
 * body finished, its outcome is not committed).
 */
const spec = parse(process.env.BATON_FAULTS);
const hits = new Map<string, number>();

function parse(text: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of (text ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [point, step = '*', n = '1'] = part.split(':');
    out.set(`${point}:${step}`, Number(n));
  }
  return out;
}

/** Marks a fault point; kills the process if a crash test asked for it here. */
export function faultPoint(point: string, stepId: string): void {
  if (spec.size === 0) return;
  for (const key of [`${point}:${stepId}`, `${point}:*`]) {
    const target = spec.get(key);
    if (target === undefined) continue;
    const n = (hits.get(key) ?? 0) + 1;
    hits.set(key, n);
    if (n === target) process.kill(process.pid, 'SIGKILL');
  }
}
