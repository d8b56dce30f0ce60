/**
 * Running the real `baton` CLI in tests: each test gets a fresh data directory; children are tracked
 * and stopped after each test; conditions are awaited by polling with a deadline, never by sleeping.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect } from 'vitest';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const fixtures = join(root, 'test/cli/fixtures');
export const config = join(fixtures, 'baton.config.ts');

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Started {
  child: ChildProcess;
  stdout: () => string;
  exited: Promise<Result>;
}

/** The current test's data directory. */
export let dataDir: string;
export const children: ChildProcess[] = [];

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'baton-cli-'));
});

afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => stop(c)));
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts the CLI as a child process, tracked so that afterEach stops it. */
export function start(args: string[], entry: string[] = ['--import', 'tsx', 'src/cli/main.ts']): Started {
  const child = spawn(process.execPath, [...entry, '--config', config, '--data-dir', dataDir, ...args], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '', BATON_DEBUG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<Result>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, stdout: () => stdout, exited };
}

/** Runs the CLI to completion. */
export async function cli(...args: string[]): Promise<Result> {
  const started = start(args);
  const result = await withDeadline(started.exited, 30_000, `baton ${args.join(' ')}`);
  children.splice(children.indexOf(started.child), 1);
  return result;
}

export async function cliJson<T>(...args: string[]): Promise<T> {
  const result = await cli(...args, '--json');
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `check` until it returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await closed;
  clearTimeout(timer);
}
