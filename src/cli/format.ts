/**
 * Terminal output for the `baton` command: where lines go, colors (only on a TTY), tables, times and
 * durations. Plain ANSI codes, no dependency.
 * @module
 */

/** Color functions; each returns its text unchanged when colors are off. */
export interface Palette {
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  magenta(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

/** Where a command writes: human lines, or one JSON document with `--json`. */
export interface Output {
  /** `--json`: print machine-readable documents only. */
  readonly json: boolean;
  /** stdout is a terminal. */
  readonly tty: boolean;
  readonly paint: Palette;
  /** A human line on stdout (suppressed with `--json`). */
  line(text?: string): void;
  /** A JSON document on stdout (with `--json`). */
  data(value: unknown): void;
  /** A line on stderr, in both modes. */
  warn(text: string): void;
}

const ANSI = {
  green: 32,
  red: 31,
  yellow: 33,
  cyan: 36,
  magenta: 35,
  dim: 2,
  bold: 1,
} as const;

/** A palette with ANSI codes when `enabled`, identity functions otherwise. */
export function palette(enabled: boolean): Palette {
  const make = (code: number) => (text: string) =>
    enabled ? `\u001b[${code}m${text}\u001b[${code === 1 || code === 2 ? 22 : 39}m` : text;
  return {
    green: make(ANSI.green),
    red: make(ANSI.red),
    yellow: make(ANSI.yellow),
    cyan: make(ANSI.cyan),
    magenta: make(ANSI.magenta),
    dim: make(ANSI.dim),
    bold: make(ANSI.bold),
  };
}

/** Colors follow the usual conventions: on for a TTY, off with `NO_COLOR`, forced with `FORCE_COLOR`. */
export function colorsEnabled(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** The process's output, configured by the global `--json` flag. */
export function processOutput(json: boolean): Output {
  const tty = process.stdout.isTTY === true;
  return {
    json,
    tty,
    paint: palette(!json && colorsEnabled(process.stdout)),
    line(text = '') {
      if (!json) process.stdout.write(`${text}\n`);
    },
    data(value) {
      if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    warn(text) {
      process.stderr.write(`${text}\n`);
    },
  };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escape sequences is the point.
const ANSI_PATTERN = /\u001b\[[0-9;]*m/g;

/** The printed width of a string, ignoring color codes. */
export function visibleLength(text: string): number {
  return text.replace(ANSI_PATTERN, '').length;
}

/** Pads to a printed width, ignoring color codes. */
export function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - visibleLength(text)));
}

/** A table with a dim header row and columns as wide as their widest cell. */
export function table(headers: string[], rows: string[][], paint: Palette, indent = ''): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const render = (cells: string[]) =>
    indent +
    cells
      .map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [paint.dim(render(headers)), ...rows.map(render)];
}

const two = (n: number) => String(n).padStart(2, '0');

/** Local time of day with milliseconds: `12:00:01.234`. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** Local date and time: `2026-11-21 12:00:01`. */
export function dateTime(ms: number | undefined): string {
  if (ms === undefined) return '-';
  const d = new Date(ms);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** A short human duration: `3 ms`, `1.2 s`, `2m 03s`, `1h 02m`, `3d 4h`. */
export function humanDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  const v = Math.max(0, Math.round(ms));
  if (v < 1000) return `${v} ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(1)} s`;
  const s = Math.floor(v / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${two(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${two(Math.floor((s % 3600) / 60))}m`;
  const hours = Math.floor((s % 86_400) / 3600);
  return `${Math.floor(s / 86_400)}d${hours ? ` ${hours}h` : ''}`;
}

/** JSON on one line, cut to `max` characters. */
export function shortJson(value: unknown, max = 80): string {
  if (value === undefined) return '';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A run status, colored by outcome. */
export function statusText(status: string, paint: Palette): string {
  switch (status) {
    case 'succeeded':
      return paint.green(status);
    case 'failed':
      return paint.red(status);
    case 'cancelled':
    case 'waiting':
      return paint.yellow(status);
    case 'running':
      return paint.cyan(status);
    default:
      return status;
  }
}

/** Pretty JSON for humans, indented to sit under a heading. */
export function prettyJson(value: unknown, indent = '  '): string[] {
  return (JSON.stringify(value ?? null, null, 2) ?? 'null').split('\n').map((l) => indent + l);
}
