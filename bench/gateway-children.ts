/**
 * The gateway benchmark's child processes (the upstream and the gateway, each on its own event
 * loop), and what the benchmark reads about them from /proc: resident memory and CPU time.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A child process started by the benchmark, with what it announced once ready. */
export interface Child<T> {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly ready: T;
  /** Sends a message and waits for the first answer that has `key`. */
  ask(message: unknown, key: string): Promise<unknown>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const children = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Asks every child still running to stop (synchronously: safe in an `exit` handler). SIGTERM, so
 * that each closes its servers and removes its temp dir; each child exits on its own after 5 s.
 */
export function stopChildren(): void {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  children.clear();
}

/** How children run: from an esbuild bundle with plain node (as in production), or under tsx. */
export type ChildRuntime = 'bundle' | 'tsx';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * Bundles `file` (our TypeScript only; packages stay imports) into node_modules/.cache, so that it
 * resolves packages as the repo does and runs on plain node. The tsx loader would add a loader
 * thread (about 40 MB of RSS) and on-the-fly compilation that a production gateway does not have.
 */
async function bundled(file: string): Promise<string> {
  // esbuild comes with tsx; it is not a direct dependency, so say what to do if it is missing.
  const { build } = await import('esbuild').catch((err: unknown) => {
    throw new Error('esbuild is not installed: run with `--runtime tsx`, or add esbuild to devDependencies', {
      cause: err,
    });
  });
  const name = `${basename(file).replace(/\.[cm]?ts$/, '')}.mjs`;
  const outfile = join(repoRoot, 'node_modules', '.cache', 'baton-bench', name);
  await build({
    entryPoints: [fileURLToPath(new URL(file, import.meta.url))],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
  return outfile;
}

/**
 * Starts `file` (relative to this folder) in its own process, with `nodeFlags` for node, and waits
 * for its `{ ready: T }` message. The child is stopped when this process exits, however it exits.
 */
export async function startChild<T>(
  file: string,
  args: string[],
  runtime: ChildRuntime,
  nodeFlags: string[] = [],
  timeoutMs = 60_000,
): Promise<Child<T>> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', stopChildren);
  }
  const entry = runtime === 'bundle' ? await bundled(file) : fileURLToPath(new URL(file, import.meta.url));
  const child = fork(entry, args, {
    cwd: repoRoot,
    execArgv: [...(runtime === 'bundle' ? [] : ['--import', 'tsx']), ...nodeFlags],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  exited.then(() => children.delete(child));
  const ready = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} did not report ready within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', function onMessage(message: { ready?: T }) {
      if (message.ready === undefined) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message.ready);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited before it was ready (code ${code}, signal ${signal})`));
    });
  });
  if (child.pid === undefined) throw new Error(`${file} has no pid`);
  return {
    process: child,
    pid: child.pid,
    ready,
    ask: (message, key) =>
      new Promise((resolve) => {
        child.on('message', function onAnswer(answer: Record<string, unknown>) {
          if (!(key in answer)) return;
          child.off('message', onAnswer);
          resolve(answer[key]);
        });
        child.send(message as object);
      }),
    async stop(graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resident memory of a process in MB: now (`VmRSS`) and its peak so far (`VmHWM`). NaN off Linux. */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  } catch {
    return { rssMb: Number.NaN, peakMb: Number.NaN };
  }
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; NaN off Linux.
 * The kernel reports clock ticks of USER_HZ, which is 100 on every mainstream Linux architecture.
 */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), starting at field 3 (state).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; returns the highest sample. */
export function sampleRss(pid: number, everyMs = 250): { stop(): number } {
  let peak = memoryOf(pid).rssMb;
  const timer = setInterval(() => {
    peak = Math.max(peak, memoryOf(pid).rssMb);
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, memoryOf(pid).rssMb);
    },
  };
}
