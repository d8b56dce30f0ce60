import { describe, expect, it } from 'vitest';
import { type DagLayout, DEFAULT_SIZES, layoutDag } from './dag-layout';
import type { DagEdge, DagNode } from './dag-types';

const node = (id: string): DagNode => ({ id, kind: 'fn' });

/** A seeded pseudo-random DAG: `n` nodes, each needing up to 3 earlier ones. */
function randomDag(n: number, seed = 42): { nodes: DagNode[]; edges: DagEdge[] } {
  let s = seed;
  const rand = () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
  const nodes = Array.from({ length: n }, (_, i) => node(`s${i}`));
  const edges: DagEdge[] = [];
  for (let i = 1; i < n; i++) {
    const needs = new Set<number>();
    const k = Math.floor(rand() * 3) + (rand() < 0.15 ? 0 : 1);
    for (let j = 0; j < k; j++) needs.add(Math.max(0, i - 1 - Math.floor(rand() * Math.min(i, 40))));
    for (const f of needs) edges.push({ from: `s${f}`, to: `s${i}` });
  }
  return { nodes, edges };
}

function expectNoOverlap(layout: DagLayout) {
  const byLayer = new Map<number, { y: number }[]>();
  for (const p of layout.nodes) byLayer.set(p.layer, [...(byLayer.get(p.layer) ?? []), p]);
  for (const column of byLayer.values()) {
    const ys = column.map((p) => p.y).sort((a, b) => a - b);
    for (let i = 1; i < ys.length; i++) {
      expect((ys[i] as number) - (ys[i - 1] as number)).toBeGreaterThanOrEqual(DEFAULT_SIZES.nodeHeight);
    }
  }
}

describe('layoutDag', () => {
  it('puts each node one layer right of its furthest need, left to right', () => {
    const layout = layoutDag(['a', 'b', 'c', 'd'].map(node), [
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
      { from: 'a', to: 'd' },
      { from: 'c', to: 'd' },
    ]);
    const layer = Object.fromEntries(layout.nodes.map((p) => [p.node.id, p.layer]));
    expect(layer).toEqual({ a: 0, b: 1, c: 2, d: 3 });
    const x = Object.fromEntries(layout.nodes.map((p) => [p.node.id, p.x]));
    expect(x.a).toBeLessThan(x.b as number);
    expect(layout.nodes.map((p) => p.node.id)).toEqual(['a', 'b', 'c', 'd']);
    // a → d crosses two layers: it is routed through a point in each.
    const long = layout.edges.find((e) => e.from === 'a' && e.to === 'd');
    expect(long?.points).toHaveLength(2 + 2 * 2);
    expect(layout.width).toBe(
      3 * (DEFAULT_SIZES.nodeWidth + DEFAULT_SIZES.layerGap) + DEFAULT_SIZES.nodeWidth,
    );
  });

  it('orders a layer by its needs, so that two independent chains do not cross', () => {
    const layout = layoutDag(['a1', 'b1', 'b2', 'a2'].map(node), [
      { from: 'a1', to: 'a2' },
      { from: 'b1', to: 'b2' },
    ]);
    const y = Object.fromEntries(layout.nodes.map((p) => [p.node.id, p.y]));
    expect(Math.sign((y.a1 as number) - (y.b1 as number))).toBe(
      Math.sign((y.a2 as number) - (y.b2 as number)),
    );
  });

  it('ignores edges to unknown nodes and self-edges, and survives a cycle', () => {
    const layout = layoutDag(['a', 'b'].map(node), [
      { from: 'a', to: 'zzz' },
      { from: 'a', to: 'a' },
      { from: 'a', to: 'b' },
      { from: 'b', to: 'a' },
    ]);
    expect(layout.nodes).toHaveLength(2);
    expect(layout.edges).toHaveLength(2);
  });

  it('lays out an empty graph', () => {
    expect(layoutDag([], [])).toMatchObject({ nodes: [], edges: [], width: 0, height: 0 });
  });

  it('lays out a version graph of 300 steps quickly, with no overlapping nodes', () => {
    const { nodes, edges } = randomDag(300);
    const t0 = performance.now();
    const layout = layoutDag(nodes, edges);
    const ms = performance.now() - t0;
    expect(layout.nodes).toHaveLength(300);
    expectNoOverlap(layout);
    // Generous for shared CI machines; it takes a few milliseconds.
    expect(ms).toBeLessThan(500);
  });

  it('lays out 5,000 ungrouped steps without blowing up (long edges beyond the budget are drawn straight)', () => {
    const { nodes, edges } = randomDag(5000, 7);
    const t0 = performance.now();
    const layout = layoutDag(nodes, edges);
    const ms = performance.now() - t0;
    expect(layout.nodes).toHaveLength(5000);
    expectNoOverlap(layout);
    // A few hundred ms on an idle core; the bound catches quadratic behaviour, not a slow machine.
    expect(ms).toBeLessThan(5000);
  });
});
