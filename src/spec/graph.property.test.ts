import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateSpec } from './validate.js';

const RUNS = { numRuns: 200, seed: 20_261_121 };

interface Node {
  id: string;
  needs: string[];
}

/** A random DAG of 1..30 steps in which each step needs only earlier ones, listed in a random order. */
const dag = (minSteps: number) =>
  fc
    .integer({ min: minSteps, max: 30 })
    .chain((n) =>
      fc.tuple(
        fc.tuple(
          ...Array.from({ length: n }, (_, i) => fc.subarray(Array.from({ length: i }, (_, j) => `s${j}`))),
        ),
        fc.shuffledSubarray(
          Array.from({ length: n }, (_, i) => i),
          { minLength: n, maxLength: n },
        ),
      ),
    )
    .map(([needs, order]): Node[] => order.map((i) => ({ id: `s${i}`, needs: [...(needs[i] ?? [])] })));

function spec(nodes: Node[]) {
  return {
    name: 'random',
    version: '1',
    steps: nodes.map((node) => ({ id: node.id, kind: 'fn', fn: 'f', needs: node.needs })),
  };
}

function ancestors(nodes: Node[], id: string): Set<string> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const seen = new Set<string>();
  const stack = [...(byId.get(id)?.needs ?? [])];
  while (stack.length > 0) {
    const next = stack.pop() as string;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...(byId.get(next)?.needs ?? []));
  }
  return seen;
}

describe('validateSpec on random graphs', () => {
  it('accepts every DAG', () => {
    fc.assert(
      fc.property(dag(1), (nodes) => {
        const result = validateSpec(spec(nodes), { hasFunction: () => true });
        expect(result).toMatchObject({ ok: true });
      }),
      RUNS,
    );
  });

  it('rejects a DAG plus a back edge with a CYCLE issue', () => {
    const withBackEdge = dag(2).chain((nodes) =>
      fc.record({
        nodes: fc.constant(nodes),
        // An edge that guarantees the graph has at least one path to close.
        forced: fc
          .tuple(fc.nat(nodes.length - 2), fc.nat(nodes.length - 2))
          .map(([a, b]) => [Math.min(a, b), Math.max(a, b) + 1] as const),
        pick: fc.nat(),
      }),
    );
    fc.assert(
      fc.property(withBackEdge, ({ nodes, forced: [a, b], pick }) => {
        const later = nodes.find((n) => n.id === `s${b}`) as Node;
        if (!later.needs.includes(`s${a}`)) later.needs.push(`s${a}`);
        const upstream = [...ancestors(nodes, later.id)].sort();
        const target = nodes.find((n) => n.id === upstream[pick % upstream.length]) as Node;
        target.needs.push(later.id);

        const result = validateSpec(spec(nodes));
        expect(result.ok).toBe(false);
        if (result.ok) return;
        expect(result.issues.some((i) => i.code === 'CYCLE')).toBe(true);
        for (const issue of result.issues) expect(['CYCLE', 'UNREACHABLE_STEP']).toContain(issue.code);
      }),
      RUNS,
    );
  });

  it('reports each unknown need at its path', () => {
    const withUnknown = dag(1).chain((nodes) =>
      fc.record({
        nodes: fc.constant(nodes),
        where: fc.uniqueArray(fc.nat(nodes.length - 1), {
          minLength: 1,
          maxLength: Math.min(3, nodes.length),
        }),
        name: fc
          .tuple(fc.constantFrom('ghost', 'x', 'step_', 'S'), fc.nat(99))
          .map(([prefix, n]) => `${prefix}${n}`),
      }),
    );
    fc.assert(
      fc.property(withUnknown, ({ nodes, where, name }) => {
        const expected = where.map((i) => {
          const node = nodes[i] as Node;
          node.needs.push(name);
          return { path: `steps[${i}].needs[${node.needs.length - 1}]`, code: 'UNKNOWN_NEED' };
        });
        const result = validateSpec(spec(nodes));
        expect(result.ok).toBe(false);
        if (result.ok) return;
        expect(result.issues.map(({ path, code }) => ({ path, code }))).toEqual(
          expected.sort((x, y) => x.path.localeCompare(y.path, 'en', { numeric: true })),
        );
      }),
      RUNS,
    );
  });
});
