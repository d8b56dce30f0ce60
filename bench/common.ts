import { readFileSync } from 'node:fs';
/** Helpers shared by the benchmarks: command-line flags and the `name value unit` output lines. */

/** The value of `--name value` or `--name=value`, if given. */
export function flag(name: string): string | undefined {
  const inline = process.argv.find((a) => a.startsWith(`--${name}=`));
  if (inline) return inline.slice(name.length + 3);
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

/** A comma-separated flag as a list (empty when absent). */
export function listFlag(name: string): string[] {
  return (flag(name) ?? '').split(',').filter((s) => s.length > 0);
}

/** Formats a figure: integers as they are, small values with 3 decimals, others with 1. */
export function formatFigure(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) < 10 ? 3 : 1);
}

/** Prints one figure as `name value unit`. */
export function print(name: string, value: number, unit: string): void {
  console.log(`${name} ${formatFigure(value)} ${unit}`);
}

/** The p-th percentile of an ascending list (NaN when empty). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** CPU milliseconds the main thread has used (Linux; undefined elsewhere), 10 ms resolution. */
export function mainThreadCpuMs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // In clock ticks, USER_HZ = 100 on Linux.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}
