/**
 * The run's timeline (waterfall): one row per step, the items of a `map` step collapsed under it (expand
 * to see them), each attempt its own bar: its queue delay drawn light (a retry's backoff hatched), its
 * execution solid in its status's colour; the periods a step waited (approval, event, sleep, child run)
 * dashed. Rows are virtualized, so a run of 5,000 items renders and scrolls like a run of 5.
 * @module
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { formatCount, formatDuration } from '../../components/format';
import {
  type AttemptBar,
  FINALIZE_ROW,
  type RunModel,
  rowOf,
  SETTLED_ROW,
  type StepGroup,
  type StepRow,
  visibleRows,
} from './run-model';
import './timeline.css';

/** Props of {@link Timeline}. */
export interface TimelineProps {
  model: RunModel;
  /** The selected row's key: a step id, or `<stepId>#<item>` for an item (see `itemKey`). */
  selected?: string;
  /** Called with a row's key when the row or one of its bars is clicked. */
  onSelect?: (key: string) => void;
  /** Height of the scrolling rows in CSS pixels. @defaultValue 480 */
  height?: number;
  /** The clock, for bars still running. @defaultValue Date.now(), ticking every second while the run is live */
  now?: number;
}

const ROW_HEIGHT = 26;
const LABEL_WIDTH = 260;
/** Bars shorter than this many pixels are drawn this wide, so that a 1 ms attempt is still visible. */
const MIN_BAR_PX = 2;
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
/** The narrowest time window the axis zooms to. */
const MIN_WINDOW_MS = 5;

/**
 * The waterfall of a run's steps and attempts. Rows have `data-testid="timeline-row"` and
 * `data-step-id` (plus `data-item` for an item), bars `data-testid="timeline-bar"` with `data-attempt`
 * and `data-status`. A `map` row expands to its items with its toggle; selecting an item expands its map.
 */
export function Timeline(props: TimelineProps) {
  const { model, selected, onSelect } = props;
  const live = !TERMINAL.has(model.status);
  const clock = useClock(live && props.now === undefined);
  const now = props.now ?? clock;
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set());
  const selectedGroup = selected?.includes('#') ? selected.slice(0, selected.lastIndexOf('#')) : undefined;
  useEffect(() => {
    if (selectedGroup && model.groups[selectedGroup])
      setExpanded((s) => (s.has(selectedGroup) ? s : new Set(s).add(selectedGroup)));
  }, [selectedGroup, model.groups]);

  const rows = useMemo(() => visibleRows(model, expanded), [model, expanded]);
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    getItemKey: (i) => rows[i]?.key ?? i,
  });
  const width = useWidth(scroller, model.steps.length > 0);
  const chartWidth = Math.max(120, width - LABEL_WIDTH - 16);
  const start = model.span.start;
  const runEnd = Math.max(model.span.end, live ? now : model.span.end, start + 1);
  // The time window shown: the whole run, or what the user zoomed to.
  const [win, setWin] = useState<{ start: number; end: number } | null>(null);
  const vStart = win ? Math.max(start, win.start) : start;
  const vEnd = win ? Math.min(runEnd, win.end) : runEnd;
  const scale = useMemo(
    () => ({ start: vStart, end: vEnd, px: chartWidth / Math.max(1, vEnd - vStart) }),
    [vStart, vEnd, chartWidth],
  );
  const ticks = useMemo(
    () => axisTicks(vStart - start, vEnd - start, chartWidth),
    [vStart, vEnd, start, chartWidth],
  );
  const tickX = (t: number) => (t - (vStart - start)) * scale.px;
  // A label too close to the right edge would be cut off.
  const labelled = ticks.filter((t) => tickX(t) < chartWidth - 56);
  const latest = useRef({ vStart, vEnd, start, runEnd, px: scale.px });
  latest.current = { vStart, vEnd, start, runEnd, px: scale.px };
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    // Ctrl/⌘ + wheel zooms the time axis around the pointer, Shift + wheel pans it; a plain wheel
    // scrolls the rows. Not passive: a zoom must not also zoom the page.
    const onWheel = (e: WheelEvent) => {
      const horizontal = e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY);
      if (!e.ctrlKey && !e.metaKey && !horizontal) return;
      const x = e.clientX - el.getBoundingClientRect().left - LABEL_WIDTH;
      if (x < 0) return;
      e.preventDefault();
      const c = latest.current;
      const full = c.runEnd - c.start;
      const dur = c.vEnd - c.vStart;
      let next: { start: number; end: number };
      if (horizontal) {
        const shift = (e.shiftKey ? e.deltaY : e.deltaX) / c.px;
        next = { start: c.vStart + shift, end: c.vEnd + shift };
      } else {
        const at = c.vStart + x / c.px;
        const d = Math.min(full, Math.max(MIN_WINDOW_MS, dur * Math.exp(e.deltaY * 0.002)));
        next = { start: at - ((at - c.vStart) * d) / dur, end: at - ((at - c.vStart) * d) / dur + d };
      }
      const d = next.end - next.start;
      if (d >= full) return setWin(null);
      const s0 = Math.min(Math.max(c.start, next.start), c.runEnd - d);
      setWin({ start: s0, end: s0 + d });
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [model.steps.length > 0]);
  const selectedRow = selected === undefined ? undefined : rowOf(model, selected);
  const selectedSpan = selectedRow ? rowSpan(selectedRow, model.groups[selectedRow.stepId], now) : undefined;
  const height = props.height ?? 480;

  // Stable callbacks, so that scrolling re-renders only the rows that come into view.
  const toggle = useCallback(
    (stepId: string) =>
      setExpanded((s) => {
        const next = new Set(s);
        if (next.has(stepId)) next.delete(stepId);
        else next.add(stepId);
        return next;
      }),
    [],
  );
  const onSelectRef = useRef(onSelect);
  onSelectRef.current = onSelect;
  const select = useCallback((key: string) => onSelectRef.current?.(key), []);

  // A row selected elsewhere (a click on the graph) is scrolled into view.
  const selectedIndex = selected === undefined ? -1 : rows.findIndex((r) => r.key === selected);
  useEffect(() => {
    if (selectedIndex >= 0) virtualizer.scrollToIndex(selectedIndex, { align: 'auto' });
  }, [selectedIndex, virtualizer]);
  const rowsRef = useRef(rows);
  rowsRef.current = rows;
  /** Arrow keys move the selection from row `from` to the previous or next row; Home and End to the ends. */
  const navigate = useCallback(
    (from: string, key: string): boolean => {
      const list = rowsRef.current;
      const at = list.findIndex((r) => r.key === from);
      const last = list.length - 1;
      const to =
        key === 'ArrowDown'
          ? Math.min(last, at + 1)
          : key === 'ArrowUp'
            ? Math.max(0, at - 1)
            : key === 'Home'
              ? 0
              : key === 'End'
                ? last
                : undefined;
      const row = to === undefined ? undefined : list[to];
      if (!row) return false;
      select(row.key);
      // Keep the keyboard focus on the row the selection moved to, once it is drawn.
      requestAnimationFrame(() =>
        scroller.current?.querySelector<HTMLElement>(`[data-key="${CSS.escape(row.key)}"]`)?.focus(),
      );
      return true;
    },
    [select],
  );

  if (model.steps.length === 0) {
    return <div className="timeline muted tl-empty">No steps yet: the run has not been scheduled.</div>;
  }
  return (
    <div className="timeline" data-testid="timeline">
      <div className="tl-tools">
        <Legend />
        <span className="tl-hint muted">Ctrl + wheel zooms the time axis, Shift + wheel pans it</span>
        {selectedSpan && selectedRow && (
          <button
            type="button"
            className="link"
            onClick={() => {
              const pad = Math.max(MIN_WINDOW_MS / 2, (selectedSpan.end - selectedSpan.start) * 0.05);
              setWin({ start: selectedSpan.start - pad, end: selectedSpan.end + pad });
            }}
          >
            Zoom to {selectedRow.group === undefined ? selectedRow.stepId : `item ${selectedRow.item}`}
          </button>
        )}
        {win && (
          <button
            type="button"
            className="link"
            onClick={() => setWin(null)}
            data-testid="timeline-whole-run"
          >
            Whole run
          </button>
        )}
      </div>
      <div className="tl-head">
        <div className="tl-head-label" style={{ width: LABEL_WIDTH }}>
          Step
        </div>
        <div className="tl-axis" style={{ width: chartWidth }}>
          {labelled.map((t) => (
            <span
              key={t}
              className="tl-tick"
              style={{ left: tickX(t) }}
              title={new Date(start + t).toISOString()}
            >
              {t === 0 ? '0' : `+${formatDuration(t)}`}
            </span>
          ))}
        </div>
      </div>
      <div
        ref={scroller}
        className="tl-scroll"
        // A short run takes the room of its rows, not the whole height.
        style={{ height: Math.min(height, rows.length * ROW_HEIGHT + 2) }}
        data-testid="timeline-scroll"
      >
        <div className="tl-canvas" style={{ height: virtualizer.getTotalSize() }}>
          <div className="tl-grid" style={{ left: LABEL_WIDTH, width: chartWidth }}>
            {ticks.map((t) => (
              <span key={t} style={{ left: tickX(t) }} />
            ))}
          </div>
          {virtualizer.getVirtualItems().map((v) => {
            const row = rows[v.index] as StepRow;
            const group = row.group === undefined ? model.groups[row.stepId] : undefined;
            return (
              <Row
                key={v.key}
                row={row}
                group={group}
                top={v.start}
                scale={scale}
                now={
                  row.status === 'running' || row.status === 'scheduled' || row.status === 'waiting' ? now : 0
                }
                selected={row.key === selected}
                expanded={expanded.has(row.stepId)}
                onToggle={toggle}
                onSelect={select}
                onNavigate={navigate}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
}

interface Scale {
  start: number;
  end: number;
  px: number;
}

const Row = memo(function Row(props: {
  row: StepRow;
  group: StepGroup | undefined;
  top: number;
  scale: Scale;
  now: number;
  selected: boolean;
  expanded: boolean;
  onToggle: (stepId: string) => void;
  onSelect: (key: string) => void;
  onNavigate: (from: string, key: string) => boolean;
}) {
  const { row, group, scale } = props;
  const isItem = row.group !== undefined;
  const now = props.now || scale.end;
  const x = (t: number) => (t - scale.start) * scale.px;
  const select = () => props.onSelect(row.key);
  return (
    // biome-ignore lint/a11y/useSemanticElements: a row holding a toggle button and bars cannot itself be a <button>.
    <div
      className={`tl-row${props.selected ? ' selected' : ''}${isItem ? ' tl-item' : ''}`}
      style={{ transform: `translateY(${props.top}px)` }}
      data-testid="timeline-row"
      data-key={row.key}
      data-step-id={row.stepId}
      data-item={row.item}
      data-status={row.status}
      role="button"
      tabIndex={0}
      aria-pressed={props.selected}
      onClick={select}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          select();
        } else if (props.onNavigate(row.key, e.key)) {
          e.preventDefault();
        }
      }}
    >
      <div className="tl-label" style={{ width: LABEL_WIDTH }}>
        {group ? (
          <button
            type="button"
            className="tl-toggle"
            aria-expanded={props.expanded}
            aria-label={`${props.expanded ? 'Collapse' : 'Expand'} the ${group.total} items of ${row.stepId}`}
            data-testid="timeline-toggle"
            onClick={(e) => {
              e.stopPropagation();
              props.onToggle(row.stepId);
            }}
          >
            {props.expanded ? '▾' : '▸'}
          </button>
        ) : (
          <span className="tl-toggle-space" />
        )}
        <span className={`tl-dot tl-s-${row.status}`} title={row.status} />
        <span className="tl-name" title={labelTitle(row)}>
          {isItem ? `item ${row.item}` : row.key === FINALIZE_ROW ? 'output' : row.stepId}
        </span>
        {!isItem && <span className="tl-kind">{row.kind}</span>}
        {group && <span className="tl-count num">{groupText(group)}</span>}
      </div>
      <div className="tl-track">
        {row.waits?.map((w) => (
          <span
            key={w.from}
            className="tl-wait"
            style={{ left: x(w.from), width: Math.max(MIN_BAR_PX, x(w.to ?? now) - x(w.from)) }}
            title={`waiting for ${w.for}${w.key ? ` "${w.key}"` : ''}\nfrom ${clock(w.from)}${w.to ? `\nto ${clock(w.to)} (${formatDuration(w.to - w.from)})` : ' (still waiting)'}`}
          />
        ))}
        {group && <FanOut group={group} row={row} x={x} now={now} />}
        {row.attempts.map((a, i) => (
          <Bar key={`${a.kind}${a.attempt}:${a.scheduledAt}:${i}`} bar={a} x={x} now={now} />
        ))}
      </div>
    </div>
  );
});

/** A collapsed map step: the span of its items from the first queued to the last finished. */
function FanOut(props: { group: StepGroup; row: StepRow; x: (t: number) => number; now: number }) {
  const span = useMemo(() => groupSpan(props.group), [props.group]);
  if (!span) return null;
  const to = span.end ?? props.now;
  const { counts, total } = props.group;
  const done = (counts.succeeded ?? 0) + (counts.failed ?? 0) + (counts.cancelled ?? 0);
  return (
    <span
      className={`tl-fanout${counts.failed ? ' has-failed' : ''}`}
      style={{ left: props.x(span.start), width: Math.max(MIN_BAR_PX, props.x(to) - props.x(span.start)) }}
      title={`${formatCount(total)} items from ${clock(span.start)}${span.end ? ` to ${clock(span.end)} (${formatDuration(span.end - span.start)})` : ''}\n${Object.entries(
        counts,
      )
        .filter(([, n]) => n)
        .map(([s, n]) => `${s}: ${n?.toLocaleString()}`)
        .join('\n')}`}
    >
      <span className="tl-fanout-done" style={{ width: `${(done / Math.max(1, total)) * 100}%` }} />
    </span>
  );
}

function groupSpan(group: StepGroup): { start: number; end?: number } | undefined {
  let start = Number.POSITIVE_INFINITY;
  let end = 0;
  let open = false;
  for (const item of group.items) {
    if (item.scheduledAt !== undefined && item.scheduledAt < start) start = item.scheduledAt;
    if (item.finishedAt !== undefined) end = Math.max(end, item.finishedAt);
    if (!SETTLED_ROW.has(item.status)) open = true;
  }
  if (!Number.isFinite(start)) return undefined;
  return open ? { start } : { start, end };
}

const Bar = memo(function Bar(props: { bar: AttemptBar; x: (t: number) => number; now: number }) {
  const { bar, x } = props;
  const startedAt = bar.startedAt;
  const queueEnd = startedAt ?? bar.finishedAt ?? props.now;
  const left = x(bar.scheduledAt);
  const queueW = Math.max(0, x(queueEnd) - left);
  const backoffW = bar.readyAt === undefined ? 0 : Math.min(queueW, Math.max(0, x(bar.readyAt) - left));
  const execW =
    startedAt === undefined ? 0 : Math.max(MIN_BAR_PX, x(bar.finishedAt ?? props.now) - x(startedAt));
  return (
    <span
      className={`tl-bar tl-k-${bar.kind}`}
      data-testid="timeline-bar"
      data-attempt={bar.attempt}
      data-kind={bar.kind}
      data-status={bar.status}
      style={{ left, width: Math.max(MIN_BAR_PX, queueW + execW) }}
      title={barTitle(bar, props.now)}
    >
      {backoffW > 0 && <span className="tl-backoff" style={{ width: backoffW }} />}
      {queueW - backoffW > 0 && <span className="tl-queue" style={{ width: queueW - backoffW }} />}
      {startedAt !== undefined && <span className={`tl-exec tl-s-${bar.status}`} style={{ width: execW }} />}
    </span>
  );
});

function Legend() {
  return (
    <span className="tl-legend" aria-hidden="true">
      <span className="tl-legend-queue" /> queued
      <span className="tl-legend-backoff" /> backoff
      <span className="tl-legend-exec" /> ran
      <span className="tl-legend-wait" /> waited
    </span>
  );
}

function barTitle(bar: AttemptBar, now: number): string {
  const what = bar.kind === 'compensate' ? 'compensation' : bar.kind === 'finalize' ? 'output' : 'attempt';
  const lines = [`${what} ${bar.attempt} · ${bar.status}`, `queued   ${clock(bar.scheduledAt)}`];
  if (bar.readyAt !== undefined)
    lines.push(`ready    ${clock(bar.readyAt)} (backoff ${formatDuration(bar.readyAt - bar.scheduledAt)})`);
  if (bar.startedAt !== undefined) {
    lines.push(
      `started  ${clock(bar.startedAt)} (queue delay ${formatDuration(bar.startedAt - bar.scheduledAt)})`,
    );
    lines.push(
      bar.finishedAt !== undefined
        ? `finished ${clock(bar.finishedAt)} (ran ${formatDuration(bar.finishedAt - bar.startedAt)})`
        : `running for ${formatDuration(now - bar.startedAt)}`,
    );
  } else if (bar.finishedAt !== undefined) {
    lines.push(`ended    ${clock(bar.finishedAt)} without starting`);
  } else {
    lines.push(`queued for ${formatDuration(now - bar.scheduledAt)}`);
  }
  if (bar.workerId) lines.push(`worker   ${bar.workerId}`);
  if (bar.error) lines.push(`${bar.error.code}${bar.error.message ? `: ${bar.error.message}` : ''}`);
  return lines.join('\n');
}

function labelTitle(row: StepRow): string {
  const lines = [
    row.group === undefined ? `${row.stepId} (${row.kind})` : `${row.stepId} item ${row.item}`,
    row.status,
  ];
  if (row.attempts.length > 1) lines.push(`${row.attempts.length} attempts`);
  if (row.skipReason) lines.push(`skipped: ${row.skipReason}`);
  if (row.reusedFrom) lines.push(`reused from run ${row.reusedFrom}`);
  if (row.childRunId) lines.push(`child run ${row.childRunId}`);
  if (row.compensation) lines.push(`compensation ${row.compensation}`);
  if (row.error) lines.push(`${row.error.code}: ${row.error.message}`);
  return lines.join('\n');
}

function groupText(group: StepGroup): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const done = (group.counts.succeeded ?? 0) + (group.counts.failed ?? 0);
  const failed = group.counts.failed ? `, ${n(group.counts.failed)} failed` : '';
  return done === group.total ? `${n(group.total)} items${failed}` : `${n(done)}/${n(group.total)}${failed}`;
}

/** `14:03:07.123`: local time with milliseconds (attempts are often milliseconds apart). */
function clock(t: number): string {
  const d = new Date(t);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

const STEPS_MS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000,
  600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000,
];

/** Tick offsets (ms from the run's start) between `fromMs` and `toMs`, about every 90 px, at round steps. */
export function axisTicks(fromMs: number, toMs: number, widthPx: number): number[] {
  const duration = Math.max(1, toMs - fromMs);
  const wanted = Math.max(2, Math.floor(widthPx / 90));
  const step = STEPS_MS.find((s) => duration / s <= wanted) ?? Math.ceil(duration / wanted);
  const ticks: number[] = [];
  for (let t = Math.ceil(fromMs / step) * step; t <= toMs; t += step) ticks.push(t);
  return ticks;
}

/** From the first time a row was queued (or waited) to its last end (now while it goes on). */
function rowSpan(
  row: StepRow,
  group: StepGroup | undefined,
  now: number,
): { start: number; end: number } | undefined {
  let start = Number.POSITIVE_INFINITY;
  let end = 0;
  for (const a of row.attempts) {
    start = Math.min(start, a.scheduledAt);
    end = Math.max(end, a.finishedAt ?? now);
  }
  for (const w of row.waits ?? []) {
    start = Math.min(start, w.from);
    end = Math.max(end, w.to ?? now);
  }
  const items = group ? groupSpan(group) : undefined;
  if (items) {
    start = Math.min(start, items.start);
    end = Math.max(end, items.end ?? now);
  }
  if (row.finishedAt !== undefined) end = Math.max(end, row.finishedAt);
  return Number.isFinite(start) && end > start ? { start, end } : undefined;
}

function useClock(ticking: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!ticking) return;
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, [ticking]);
  return ticking ? now : 0;
}

function useWidth(ref: React.RefObject<HTMLDivElement | null>, mounted: boolean): number {
  const [width, setWidth] = useState(900);
  useEffect(() => {
    const el = ref.current;
    if (!el || !mounted) return;
    setWidth(el.clientWidth);
    const observer = new ResizeObserver(() => setWidth(el.clientWidth));
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref, mounted]);
  return width;
}
