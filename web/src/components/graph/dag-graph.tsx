/**
 * A workflow's or a run's graph: steps as boxes laid out left to right by {@link layoutDag}, coloured by
 * status, with pan (drag), zoom (wheel, buttons) and fit-to-view. Pan and zoom move one SVG transform
 * without re-rendering React, and a status change does not lay the graph out again, so a live run of
 * thousands of steps stays responsive.
 * @module
 */
import {
  type KeyboardEvent,
  memo,
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import { type DagLayout, DEFAULT_SIZES, layoutDag, type PlacedNode, type RoutedEdge } from './dag-layout';
import type { DagEdge, DagNode } from './dag-types';
import './dag-graph.css';

export type { DagEdge, DagNode } from './dag-types';

/** Props of {@link DagGraph}. */
export interface DagGraphProps {
  nodes: DagNode[];
  edges: DagEdge[];
  /** The id of the selected node, drawn highlighted with its edges. */
  selected?: string;
  /** Called with a node's id when it is clicked (or chosen with Enter/Space). */
  onSelect?: (id: string) => void;
  /** Height of the drawing area in CSS pixels. @defaultValue 420 */
  height?: number;
  /** Shown when there are no nodes. @defaultValue 'No steps.' */
  empty?: string;
}

/** Order in which a grouped node's counts are stacked, and their legend. */
const COUNT_ORDER = [
  'succeeded',
  'failed',
  'running',
  'scheduled',
  'waiting',
  'pending',
  'skipped',
  'cancelled',
];
const MIN_ZOOM = 0.05;
/** Below this zoom a node's label cannot be read: a big graph opens at it, from its roots. */
const READABLE_ZOOM = 0.5;
/** Room around a fitted graph. */
const PAD = 24;
/** Room above a fitted graph: the zoom buttons sit there, and must not cover a node. */
const TOP = 44;
/** The least height of the drawing area, whatever the graph. */
const MIN_HEIGHT = 140;
const MAX_ZOOM = 3;
/** A pointer that moves less than this between down and up clicked rather than dragged. */
const DRAG_THRESHOLD = 4;

interface View {
  x: number;
  y: number;
  k: number;
}

/**
 * Draws `nodes` and `edges` as a layered graph. Each node is a `g` with `data-testid="graph-node"`,
 * `data-step-id` and `data-status`; the selected one has `aria-pressed="true"`.
 * @example
 * <DagGraph nodes={[{ id: 'a', kind: 'fn', status: 'succeeded' }, { id: 'b', kind: 'map', counts: { succeeded: 4980, running: 20 } }]}
 *   edges={[{ from: 'a', to: 'b' }]} selected="b" onSelect={setSelected} />
 */
export function DagGraph(props: DagGraphProps) {
  const { nodes, edges, selected, onSelect } = props;
  const maxHeight = props.height ?? 420;
  // The layout depends on the shape only: a status or count change keeps it.
  const shape = useMemo(
    () => `${nodes.map((n) => n.id).join('\n')}\u0000${edges.map((e) => `${e.from}\n${e.to}`).join('\n')}`,
    [nodes, edges],
  );
  const layout = useMemo(() => layoutDag(nodes, edges), [shape]);
  const byId = useMemo(() => new Map(nodes.map((n) => [n.id, n])), [nodes]);

  const frameRef = useRef<HTMLDivElement>(null);
  const svgRef = useRef<SVGSVGElement>(null);
  const sceneRef = useRef<SVGGElement>(null);
  const view = useRef<View>({ x: 0, y: 0, k: 1 });
  // Until the user pans or zooms, the graph stays fitted (to a resized frame, a new layout).
  const touched = useRef(false);
  const width = useFrameWidth(frameRef, nodes.length > 0);
  // A small graph takes the height it needs at the width's zoom, not the whole `height`.
  const widthK =
    width > 0 ? Math.min(1, Math.max(MIN_ZOOM, (width - 2 * PAD) / Math.max(1, layout.width))) : 1;
  const height = Math.max(MIN_HEIGHT, Math.min(maxHeight, Math.ceil(layout.height * widthK + TOP + PAD)));

  const apply = useCallback(() => {
    const v = view.current;
    sceneRef.current?.setAttribute('transform', `translate(${v.x},${v.y}) scale(${v.k})`);
  }, []);

  /**
   * Fits the whole graph in view. With `readable`, a graph that would shrink below a readable zoom
   * (hundreds of steps) is shown at that zoom from its roots instead; the Fit button shows it all.
   */
  const fit = useCallback(
    (readable = false) => {
      const svg = svgRef.current;
      if (!svg) return;
      const w = width || svg.clientWidth || 800;
      const fitted = Math.min(
        1,
        Math.max(
          MIN_ZOOM,
          Math.min(
            (w - 2 * PAD) / Math.max(1, layout.width),
            (height - TOP - PAD) / Math.max(1, layout.height),
          ),
        ),
      );
      if (readable && fitted < READABLE_ZOOM) {
        const k = READABLE_ZOOM;
        const roots = layout.nodes.filter((p) => p.layer === 0);
        const rootsMid =
          roots.reduce((sum, p) => sum + p.y + layout.sizes.nodeHeight / 2, 0) / Math.max(1, roots.length);
        view.current = { k, x: PAD, y: TOP + (height - TOP - PAD) / 2 - rootsMid * k };
      } else {
        view.current = {
          k: fitted,
          x: (w - layout.width * fitted) / 2,
          y: TOP + Math.max(0, (height - TOP - PAD - layout.height * fitted) / 2),
        };
      }
      apply();
    },
    [layout, height, width, apply],
  );

  const zoomBy = useCallback(
    (factor: number, cx?: number, cy?: number) => {
      const svg = svgRef.current;
      if (!svg) return;
      const v = view.current;
      const px = cx ?? svg.clientWidth / 2;
      const py = cy ?? height / 2;
      touched.current = true;
      const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, v.k * factor));
      // Keep the point under the cursor where it is.
      view.current = { k, x: px - ((px - v.x) * k) / v.k, y: py - ((py - v.y) * k) / v.k };
      apply();
    },
    [apply, height],
  );

  // A new shape is fitted whatever the user did with the previous one.
  useLayoutEffect(() => {
    touched.current = false;
  }, [layout]);
  useLayoutEffect(() => {
    if (!touched.current) fit(true);
  }, [fit]);

  useEffect(() => {
    const svg = svgRef.current;
    if (!svg) return;
    // React's wheel listener is passive; zooming must stop the page from scrolling.
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const rect = svg.getBoundingClientRect();
      zoomBy(Math.exp(-e.deltaY * 0.0015), e.clientX - rect.left, e.clientY - rect.top);
    };
    svg.addEventListener('wheel', onWheel, { passive: false });
    return () => svg.removeEventListener('wheel', onWheel);
  }, [zoomBy]);

  const drag = useRef<{ x: number; y: number; vx: number; vy: number; moved: boolean } | null>(null);
  const suppressClick = useRef(false);
  const onPointerDown = (e: React.PointerEvent<SVGSVGElement>) => {
    if (e.button !== 0) return;
    drag.current = { x: e.clientX, y: e.clientY, vx: view.current.x, vy: view.current.y, moved: false };
    suppressClick.current = false;
  };
  const onPointerMove = (e: React.PointerEvent<SVGSVGElement>) => {
    const d = drag.current;
    if (!d) return;
    const dx = e.clientX - d.x;
    const dy = e.clientY - d.y;
    if (!d.moved && Math.hypot(dx, dy) < DRAG_THRESHOLD) return;
    if (!d.moved) {
      d.moved = true;
      svgRef.current?.setPointerCapture(e.pointerId);
      svgRef.current?.classList.add('dragging');
    }
    touched.current = true;
    view.current = { ...view.current, x: d.vx + dx, y: d.vy + dy };
    apply();
  };
  const onPointerUp = (e: React.PointerEvent<SVGSVGElement>) => {
    if (drag.current?.moved) {
      suppressClick.current = true;
      svgRef.current?.releasePointerCapture(e.pointerId);
      svgRef.current?.classList.remove('dragging');
    }
    drag.current = null;
  };

  // A ref, so that a new `onSelect` each parent render does not re-render every node.
  const onSelectRef = useRef(onSelect);
  onSelectRef.current = onSelect;
  const choose = useCallback((id: string) => {
    if (suppressClick.current) {
      suppressClick.current = false;
      return;
    }
    onSelectRef.current?.(id);
  }, []);

  if (nodes.length === 0) {
    return (
      <div className="dag-graph dag-empty muted" style={{ height: Math.min(maxHeight, 120) }}>
        {props.empty ?? 'No steps.'}
      </div>
    );
  }

  const near = selected === undefined ? undefined : neighbours(layout, selected);
  return (
    <div className="dag-graph" data-testid="dag-graph" ref={frameRef}>
      <div className="dag-controls">
        <button type="button" onClick={() => zoomBy(1.25)} aria-label="Zoom in" title="Zoom in">
          +
        </button>
        <button type="button" onClick={() => zoomBy(0.8)} aria-label="Zoom out" title="Zoom out">
          −
        </button>
        <button
          type="button"
          onClick={() => {
            touched.current = false;
            fit();
          }}
          title="Fit the whole graph in view"
        >
          Fit
        </button>
      </div>
      <svg
        ref={svgRef}
        className="dag-svg"
        width="100%"
        height={height}
        role="img"
        aria-label={`Graph of ${nodes.length} steps; drag to pan, wheel to zoom`}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
      >
        <defs>
          <marker
            id="dag-arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" className="dag-arrow" />
          </marker>
        </defs>
        <g ref={sceneRef}>
          <Edges edges={layout.edges} selected={selected} />
          {layout.nodes.map((p) => (
            <Node
              key={p.node.id}
              placed={p}
              node={byId.get(p.node.id) ?? p.node}
              width={layout.sizes.nodeWidth}
              height={layout.sizes.nodeHeight}
              selected={p.node.id === selected}
              dimmed={near !== undefined && !near.has(p.node.id)}
              onChoose={choose}
            />
          ))}
        </g>
      </svg>
    </div>
  );
}

/** The ids of `id` and the nodes it shares an edge with. */
function neighbours(layout: DagLayout, id: string): Set<string> {
  const out = new Set([id]);
  for (const e of layout.edges) {
    if (e.from === id) out.add(e.to);
    if (e.to === id) out.add(e.from);
  }
  return out;
}

const Edges = memo(function Edges(props: { edges: RoutedEdge[]; selected: string | undefined }) {
  return (
    <g className="dag-edges">
      {props.edges.map((e) => {
        const on = props.selected !== undefined && (e.from === props.selected || e.to === props.selected);
        return (
          <path
            key={`${e.from}\u0000${e.to}`}
            d={edgePath(e.points)}
            className={on ? 'dag-edge dag-edge-on' : 'dag-edge'}
            markerEnd="url(#dag-arrow)"
          />
        );
      })}
    </g>
  );
});

/** A smooth path through `points`: horizontal tangents at each point, straight runs through virtual points. */
function edgePath(points: { x: number; y: number }[]): string {
  const first = points[0];
  if (!first) return '';
  let d = `M${first.x},${first.y}`;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1] as { x: number; y: number };
    const b = points[i] as { x: number; y: number };
    if (a.y === b.y) d += ` L${b.x},${b.y}`;
    else {
      const mx = (a.x + b.x) / 2;
      d += ` C${mx},${a.y} ${mx},${b.y} ${b.x},${b.y}`;
    }
  }
  return d;
}

const Node = memo(function Node(props: {
  placed: PlacedNode;
  node: DagNode;
  width: number;
  height: number;
  selected: boolean;
  dimmed: boolean;
  onChoose: (id: string) => void;
}) {
  const { node, width, height } = props;
  const status = node.status ?? 'none';
  const label = node.label ?? node.id;
  const total = node.counts ? Object.values(node.counts).reduce((a, b) => a + b, 0) : 0;
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      props.onChoose(node.id);
    }
  };
  const cls = `dag-node dag-status-${status}${props.selected ? ' selected' : ''}${props.dimmed ? ' dimmed' : ''}`;
  return (
    // biome-ignore lint/a11y/useSemanticElements: an SVG group cannot be a <button>; it has the role, focus and keys.
    <g
      className={cls}
      transform={`translate(${props.placed.x},${props.placed.y})`}
      data-testid="graph-node"
      data-step-id={node.id}
      data-status={node.status}
      role="button"
      tabIndex={0}
      aria-pressed={props.selected}
      aria-label={`${label}, ${node.kind}${node.status ? `, ${node.status}` : ''}`}
      onClick={() => props.onChoose(node.id)}
      onKeyDown={onKey}
    >
      <title>{tooltip(node, total)}</title>
      <rect className="dag-node-box" width={width} height={height} rx={7} />
      <rect className="dag-node-stripe" width={5} height={height} rx={2} />
      <text className="dag-node-label" x={14} y={19}>
        {truncate(label, 20)}
      </text>
      <text className="dag-node-kind" x={14} y={36}>
        {node.kind}
        {node.counts ? ` · ${total.toLocaleString('en-US')} items` : node.status ? ` · ${node.status}` : ''}
      </text>
      {node.counts && total > 0 && (
        <CountsBar counts={node.counts} total={total} x={14} width={width - 24} y={41} />
      )}
    </g>
  );
});

function CountsBar(props: {
  counts: Record<string, number>;
  total: number;
  x: number;
  y: number;
  width: number;
}) {
  let x = props.x;
  const keys = [
    ...COUNT_ORDER.filter((k) => props.counts[k]),
    ...Object.keys(props.counts).filter((k) => !COUNT_ORDER.includes(k)),
  ];
  return (
    <g className="dag-counts">
      <rect className="dag-counts-track" x={props.x} y={props.y} width={props.width} height={4} rx={2} />
      {keys.map((k) => {
        const w = ((props.counts[k] ?? 0) / props.total) * props.width;
        const seg = (
          <rect key={k} className={`dag-seg dag-status-${k}`} x={x} y={props.y} width={w} height={4} />
        );
        x += w;
        return seg;
      })}
    </g>
  );
}

function tooltip(node: DagNode, total: number): string {
  const lines = [`${node.id} (${node.kind})`];
  if (node.status) lines.push(`status: ${node.status}`);
  if (node.counts) {
    lines.push(`${total.toLocaleString()} items`);
    for (const k of Object.keys(node.counts)) lines.push(`  ${k}: ${(node.counts[k] ?? 0).toLocaleString()}`);
  }
  return lines.join('\n');
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The width of `ref`'s element, followed as it resizes (0 before it is mounted). */
function useFrameWidth(ref: React.RefObject<HTMLDivElement | null>, mounted: boolean): number {
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || !mounted) return;
    setWidth(el.clientWidth);
    const observer = new ResizeObserver(() => setWidth(el.clientWidth));
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref, mounted]);
  return width;
}

/** The sizes nodes are drawn with (for callers placing things beside the graph). */
export const DAG_SIZES = DEFAULT_SIZES;
