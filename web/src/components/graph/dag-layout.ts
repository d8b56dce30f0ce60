/**
 * A layered left-to-right layout of a directed acyclic graph, fast enough for thousands of nodes
 * (a general-purpose layout such as dagre takes seconds there):
 * 1. layers by longest path from the roots (a node sits one layer right of its furthest need);
 * 2. an edge spanning several layers gets a virtual point in each layer it crosses, so it is routed
 *    between nodes and takes part in the ordering;
 * 3. the order within each layer by barycenter sweeps (down, then up), which removes most crossings;
 * 4. y coordinates at the barycenter of each node's neighbours, pushed apart to keep the gap.
 * Pure: no DOM, no React.
 * @module
 */
import type { DagEdge, DagNode } from './dag-types';

/** Sizes used by the layout, in SVG units. */
export interface LayoutSizes {
  nodeWidth: number;
  nodeHeight: number;
  /** Horizontal space between layers. */
  layerGap: number;
  /** Vertical space between nodes of a layer. */
  nodeGap: number;
}

/** @defaultValue the sizes the graph component draws with. */
export const DEFAULT_SIZES: LayoutSizes = { nodeWidth: 168, nodeHeight: 48, layerGap: 64, nodeGap: 18 };

/** A node placed: its top-left corner. */
export interface PlacedNode {
  node: DagNode;
  x: number;
  y: number;
  layer: number;
}

/** An edge routed through the points it passes (its ends, and a virtual point per layer it crosses). */
export interface RoutedEdge {
  from: string;
  to: string;
  points: { x: number; y: number }[];
}

/** The result of {@link layoutDag}. */
export interface DagLayout {
  nodes: PlacedNode[];
  edges: RoutedEdge[];
  width: number;
  height: number;
  sizes: LayoutSizes;
}

/**
 * Virtual points allowed per node: a graph whose long edges would need more (thousands of steps with
 * needs spanning many layers) routes its longest edges straight, which keeps the layout linear in size.
 */
const VIRTUAL_BUDGET_PER_NODE = 4;

/** Barycenter sweeps; each halves crossings less than the one before, four get nearly all. */
const SWEEPS = 4;
/** Height of a virtual point of a long edge (it needs less room than a node). */
const VIRTUAL_HEIGHT = 6;

interface Cell {
  id: string;
  /** Index into `nodes` for real nodes, -1 for a virtual point. */
  real: number;
  layer: number;
  ins: Cell[];
  outs: Cell[];
  order: number;
  /** Sort key of the current sweep (the barycenter of the neighbours' orders). */
  key: number;
  y: number;
  h: number;
}

/**
 * Lays out `nodes` and `edges`. Edges naming an unknown node are ignored, and an edge closing a cycle
 * (none comes from the engine, which refuses cycles) is drawn but does not shape the layers.
 */
export function layoutDag(
  nodes: readonly DagNode[],
  edges: readonly DagEdge[],
  sizes: LayoutSizes = DEFAULT_SIZES,
): DagLayout {
  const index = new Map<string, number>();
  for (const [i, n] of nodes.entries()) index.set(n.id, i);
  const valid = edges.filter((e) => index.has(e.from) && index.has(e.to) && e.from !== e.to);

  // 1. Longest-path layers, iteratively (Kahn's order) so a deep graph cannot overflow the stack.
  const outs: number[][] = nodes.map(() => []);
  const indegree = new Array<number>(nodes.length).fill(0);
  for (const e of valid) {
    outs[index.get(e.from) as number]?.push(index.get(e.to) as number);
    const to = index.get(e.to) as number;
    indegree[to] = (indegree[to] as number) + 1;
  }
  const layerOf = new Array<number>(nodes.length).fill(0);
  const queue: number[] = [];
  for (let i = 0; i < nodes.length; i++) if (indegree[i] === 0) queue.push(i);
  for (let head = 0; head < queue.length; head++) {
    const u = queue[head] as number;
    for (const v of outs[u] as number[]) {
      layerOf[v] = Math.max(layerOf[v] as number, (layerOf[u] as number) + 1);
      if (--(indegree[v] as number) === 0) queue.push(v);
    }
  }
  // 2. Cells per layer, with virtual points along long edges.
  const cells: Cell[] = nodes.map((n, i) => ({
    id: n.id,
    real: i,
    layer: layerOf[i] as number,
    ins: [],
    outs: [],
    order: 0,
    key: 0,
    y: 0,
    h: sizes.nodeHeight,
  }));
  const chains: { edge: DagEdge; cells: Cell[] }[] = [];
  const withPoints = routedEdges(valid, (id) => layerOf[index.get(id) as number] as number, nodes.length);
  for (const [i, e] of valid.entries()) {
    const a = cells[index.get(e.from) as number] as Cell;
    const b = cells[index.get(e.to) as number] as Cell;
    const chain = [a];
    if (b.layer > a.layer && !withPoints.has(i)) {
      // Beyond the budget of virtual points: drawn straight across, but still ordered by its ends.
      a.outs.push(b);
      b.ins.push(a);
    } else if (b.layer > a.layer) {
      let prev = a;
      for (let l = a.layer + 1; l < b.layer; l++) {
        const v: Cell = {
          id: '',
          real: -1,
          layer: l,
          ins: [prev],
          outs: [],
          order: 0,
          key: 0,
          y: 0,
          h: VIRTUAL_HEIGHT,
        };
        prev.outs.push(v);
        cells.push(v);
        chain.push(v);
        prev = v;
      }
      prev.outs.push(b);
      b.ins.push(prev);
    }
    chain.push(b);
    chains.push({ edge: e, cells: chain });
  }
  const layerCount = nodes.length === 0 ? 0 : Math.max(...layerOf) + 1;
  const layers: Cell[][] = Array.from({ length: layerCount }, () => []);
  for (const c of cells) layers[c.layer]?.push(c);

  // 3. Order within layers: a depth-first start keeps chains together, then barycenter sweeps.
  initialOrder(layers);
  for (let s = 0; s < SWEEPS; s++) {
    for (let l = 1; l < layers.length; l++) reorder(layers[l] as Cell[], 'ins');
    for (let l = layers.length - 2; l >= 0; l--) reorder(layers[l] as Cell[], 'outs');
  }

  // 4. y coordinates: packed, then pulled toward neighbours while keeping order and gaps.
  for (const layer of layers) pack(layer, sizes.nodeGap);
  for (let s = 0; s < SWEEPS; s++) {
    for (let l = 1; l < layers.length; l++) align(layers[l] as Cell[], 'ins', sizes.nodeGap);
    for (let l = layers.length - 2; l >= 0; l--) align(layers[l] as Cell[], 'outs', sizes.nodeGap);
  }
  let minY = Number.POSITIVE_INFINITY;
  let maxY = 0;
  for (const c of cells) {
    minY = Math.min(minY, c.y);
    maxY = Math.max(maxY, c.y + c.h);
  }
  if (!Number.isFinite(minY)) minY = 0;

  const xOf = (layer: number) => layer * (sizes.nodeWidth + sizes.layerGap);
  const placed: PlacedNode[] = cells
    .filter((c) => c.real >= 0)
    .map((c) => ({ node: nodes[c.real] as DagNode, x: xOf(c.layer), y: c.y - minY, layer: c.layer }));
  placed.sort((a, b) => (index.get(a.node.id) as number) - (index.get(b.node.id) as number));
  const mid = (c: Cell) => c.y - minY + c.h / 2;
  const routed: RoutedEdge[] = chains.map(({ edge, cells: chain }) => {
    const first = chain[0] as Cell;
    const last = chain.at(-1) as Cell;
    const points = [{ x: xOf(first.layer) + sizes.nodeWidth, y: mid(first) }];
    for (const v of chain.slice(1, -1)) {
      points.push({ x: xOf(v.layer), y: mid(v) });
      points.push({ x: xOf(v.layer) + sizes.nodeWidth, y: mid(v) });
    }
    points.push({ x: xOf(last.layer), y: mid(last) });
    return { from: edge.from, to: edge.to, points };
  });
  return {
    nodes: placed,
    edges: routed,
    width: layerCount === 0 ? 0 : xOf(layerCount - 1) + sizes.nodeWidth,
    height: maxY - minY,
    sizes,
  };
}

function initialOrder(layers: Cell[][]): void {
  const seen = new Set<Cell>();
  const next = layers.map(() => 0);
  const visit = (root: Cell) => {
    const stack = [root];
    while (stack.length > 0) {
      const c = stack.pop() as Cell;
      if (seen.has(c)) continue;
      seen.add(c);
      c.order = (next[c.layer] as number) + 0;
      next[c.layer] = c.order + 1;
      for (let i = c.outs.length - 1; i >= 0; i--) stack.push(c.outs[i] as Cell);
    }
  };
  for (const layer of layers) for (const c of layer) if (c.ins.length === 0) visit(c);
  for (const layer of layers) for (const c of layer) visit(c);
  for (const layer of layers) layer.sort((a, b) => a.order - b.order);
}

function reorder(layer: Cell[], side: 'ins' | 'outs'): void {
  for (const c of layer) {
    const near = c[side];
    if (near.length === 0) c.key = c.order;
    else {
      let sum = 0;
      for (const n of near) sum += n.order;
      c.key = sum / near.length;
    }
  }
  // Stable: equal barycenters keep their previous order.
  layer.sort((a, b) => a.key - b.key || a.order - b.order);
  for (let i = 0; i < layer.length; i++) (layer[i] as Cell).order = i;
}

function pack(layer: Cell[], gap: number): void {
  let y = 0;
  for (const c of layer) {
    c.y = y;
    y += c.h + gap;
  }
}

/** Moves each cell toward the mean centre of its neighbours on `side`, keeping order and gaps. */
function align(layer: Cell[], side: 'ins' | 'outs', gap: number): void {
  if (layer.length === 0) return;
  const want = layer.map((c) => {
    const near = c[side];
    if (near.length === 0) return c.y;
    let sum = 0;
    for (const n of near) sum += n.y + n.h / 2;
    return sum / near.length - c.h / 2;
  });
  // Forward: no cell above its wish unless the one before pushes it down.
  const y = want.slice();
  for (let i = 1; i < layer.length; i++) {
    const prev = layer[i - 1] as Cell;
    y[i] = Math.max(y[i] as number, (y[i - 1] as number) + prev.h + gap);
  }
  // Backward: a cell the forward pass pushed into the next one's room moves up (and pushes those above).
  for (let i = layer.length - 2; i >= 0; i--) {
    const c = layer[i] as Cell;
    y[i] = Math.min(y[i] as number, (y[i + 1] as number) - c.h - gap);
  }
  layer.forEach((c, i) => {
    c.y = y[i] as number;
  });
}

/** Indexes of the edges routed through virtual points: the shortest first, within the budget. */
function routedEdges(
  edges: readonly DagEdge[],
  layer: (id: string) => number,
  nodeCount: number,
): Set<number> {
  const span = edges.map((e) => Math.max(0, layer(e.to) - layer(e.from) - 1));
  let total = 0;
  for (const s of span) total += s;
  const budget = VIRTUAL_BUDGET_PER_NODE * nodeCount + 500;
  if (total <= budget) return new Set(edges.keys());
  const order = [...edges.keys()].sort((a, b) => (span[a] as number) - (span[b] as number));
  const chosen = new Set<number>();
  let used = 0;
  for (const i of order) {
    used += span[i] as number;
    if (used > budget) break;
    chosen.add(i);
  }
  return chosen;
}
