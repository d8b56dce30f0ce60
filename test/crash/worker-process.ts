/**
 * Both ends of a worker process in the crash and takeover suites: the test forks a worker script
 * under tsx and waits for its `ready` message; the script, once its worker polls, sends that message
 * and on SIGTERM stops the worker, closes what it opened and exits 0.
 */
import { type ChildProcess, fork } from 'node:child_process';

/** A forked worker: `ready` when it polls, `exited` with its signal (or exit code) when it ends. */
export interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<NodeJS.Signals | number | null>;
  ready: Promise<void>;
}

/**
 * Forks workers of one script and remembers them, so that `killAll` (in `afterEach`) leaves none
 * running whatever the test did.
 */
export function workerProcesses(script: URL) {
  const children: ChildProcess[] = [];
  return {
    start(args: string[], env?: NodeJS.ProcessEnv): WorkerProcess {
      const child = fork(script, args, {
        execArgv: ['--import', 'tsx'],
        env,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
        child.once('exit', (code, signal) => resolve(signal ?? code)),
      );
      const ready = new Promise<void>((resolve) => child.once('message', () => resolve()));
      return { child, exited, ready };
    },
    /** SIGKILLs every worker still running. */
    killAll(): void {
      for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    },
  };
}

/**
 * In the worker script: tells the test the worker is up, and on SIGTERM stops it (a second's grace),
 * runs `close` in order and exits 0.
 */
export function serveUntilSigterm(
  worker: { stop(graceMs: number): Promise<void> },
  close: readonly (() => Promise<void> | void)[],
): void {
  process.send?.('ready');
  process.on('SIGTERM', () => {
    void (async () => {
      await worker.stop(1000);
      for (const c of close) await c();
      process.exit(0);
    })();
  });
}
