/**
 * A small time-series chart in plain SVG: stacked bars or an area, a y axis with round ticks, a time
 * axis, and the values of the bucket under the pointer. Sized to its container's width.
 * @module
 */
import { useEffect, useRef, useState } from 'react';
import type { StatsBucket } from './overview-model';

/** One series of a {@link TimeChart}. */
export interface ChartSeries {
  label: string;
  /** A CSS colour. */
  color: string;
  value: (bucket: StatsBucket) => number;
  /** Shown in the hover values but not drawn (the runs started, beside the runs finished). */
  hoverOnly?: boolean;
}

const HEIGHT = 150;
const PAD = { left: 48, right: 10, top: 10, bottom: 22 };

/** 1, 2 or 5 times a power of ten, at least `n` (1 for 0). */
export function niceCeil(n: number): number {
  if (!(n > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 2, 5, 10]) if (step * power >= n) return step * power;
  return 10 * power;
}

function timeLabel(at: number, spanMs: number): string {
  const d = new Date(at);
  if (spanMs > 2 * 86_400_000) {
    return `${d.toLocaleDateString(undefined, { weekday: 'short' })} ${d.toLocaleTimeString(undefined, { hour: 'numeric' })}`;
  }
  return d.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
}

/** The chart. `format` writes a value (axis ticks and hover values). */
export function TimeChart(props: {
  buckets: StatsBucket[];
  bucketMs: number;
  series: ChartSeries[];
  kind: 'bars' | 'area';
  format: (n: number) => string;
  label: string;
  testId?: string;
}) {
  const wrap = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(480);
  const [hover, setHover] = useState<number | undefined>(undefined);
  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const observer = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.max(200, Math.floor(entry.contentRect.width)));
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const { buckets, bucketMs } = props;
  const drawn = props.series.filter((s) => !s.hoverOnly);
  const totals = buckets.map((b) => drawn.reduce((n, s) => n + s.value(b), 0));
  const max = niceCeil(Math.max(0, ...totals));
  const innerW = width - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const n = Math.max(1, buckets.length);
  const slot = innerW / n;
  const x = (i: number) => PAD.left + i * slot;
  const y = (v: number) => PAD.top + innerH - (v / max) * innerH;
  const spanMs = n * bucketMs;
  const tickEvery = Math.max(1, Math.ceil(n / Math.max(2, Math.floor(innerW / 72))));

  const onMove = (e: React.MouseEvent<SVGSVGElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    const i = Math.floor((e.clientX - box.left - PAD.left) / slot);
    setHover(i >= 0 && i < buckets.length ? i : undefined);
  };

  const hovered = hover === undefined ? undefined : buckets[hover];
  return (
    <div className="ov-chart" ref={wrap} data-testid={props.testId} data-buckets={buckets.length}>
      <svg
        width={width}
        height={HEIGHT}
        role="img"
        aria-label={props.label}
        onMouseMove={onMove}
        onMouseLeave={() => setHover(undefined)}
      >
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line className="ov-grid" x1={PAD.left} x2={width - PAD.right} y1={y(max * f)} y2={y(max * f)} />
            <text className="ov-axis" x={PAD.left - 6} y={y(max * f) + 4} textAnchor="end">
              {props.format(max * f)}
            </text>
          </g>
        ))}
        {hover !== undefined && (
          <rect className="ov-hover" x={x(hover)} y={PAD.top} width={slot} height={innerH} />
        )}
        {props.kind === 'bars'
          ? buckets.map((b, i) => {
              let base = 0;
              return drawn.map((s) => {
                const v = s.value(b);
                const top = y(base + v);
                const rect = (
                  <rect
                    key={`${b.at}-${s.label}`}
                    x={x(i) + slot * 0.12}
                    width={Math.max(1, slot * 0.76)}
                    y={top}
                    height={Math.max(0, y(base) - top)}
                    fill={s.color}
                  />
                );
                base += v;
                return rect;
              });
            })
          : drawn.map((s) => {
              const points = buckets.map((b, i) => `${x(i) + slot / 2},${y(s.value(b))}`);
              const first = `${x(0) + slot / 2},${y(0)}`;
              const last = `${x(buckets.length - 1) + slot / 2},${y(0)}`;
              return (
                <g key={s.label}>
                  <polygon points={[first, ...points, last].join(' ')} fill={s.color} fillOpacity={0.18} />
                  <polyline points={points.join(' ')} fill="none" stroke={s.color} strokeWidth={1.5} />
                </g>
              );
            })}
        <line className="ov-baseline" x1={PAD.left} x2={width - PAD.right} y1={y(0)} y2={y(0)} />
        {buckets.map((b, i) =>
          i % tickEvery === 0 ? (
            <text key={b.at} className="ov-axis" x={x(i)} y={HEIGHT - 6} textAnchor="start">
              {timeLabel(b.at, spanMs)}
            </text>
          ) : null,
        )}
      </svg>
      {hovered && hover !== undefined && (
        <div
          className="ov-tip"
          data-testid={props.testId ? `${props.testId}-tip` : undefined}
          data-bucket={hover}
          style={
            x(hover) + slot / 2 > width / 2 ? { right: width - x(hover) + 8 } : { left: x(hover) + slot + 8 }
          }
        >
          <div className="muted">
            {new Date(hovered.at).toLocaleString(undefined, {
              weekday: spanMs > 86_400_000 ? 'short' : undefined,
              hour: 'numeric',
              minute: '2-digit',
            })}
            {' – '}
            {new Date(hovered.at + bucketMs).toLocaleTimeString(undefined, {
              hour: 'numeric',
              minute: '2-digit',
            })}
          </div>
          {props.series.map((s) => (
            <div key={s.label} className="ov-tip-row">
              <span className="ov-swatch" style={{ background: s.hoverOnly ? 'transparent' : s.color }} />
              <span>{s.label}</span>
              <span className="num">{props.format(s.value(hovered))}</span>
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
