/**
 * The chaos suite's worker processes: a fixed number kept alive, any of them killed on demand with
 * SIGKILL and replaced at once. A worker that dies without being killed (it crashed) is recorded and
 * replaced too, so one crash does not hide what else would have gone wrong.
 */
import { type ChildProcess, fork } from 'node:child_process';
import type { BatonOptions } from '../../src/runtime/baton.js';

/** One worker process. */
export interface WorkerProcess {
  id: string;
  child: ChildProcess;
  /** True once it registered its workflows and claims; false if it died first. */
  ready: Promise<boolean>;
  isReady: boolean;
  killed: boolean;
  exited: Promise<NodeJS.Signals | number | null>;
}

export class WorkerFleet {
  readonly workers: WorkerProcess[] = [];
  /** Workers that exited though nobody killed or stopped them. */
  readonly crashes: string[] = [];
  private started = 0;
  private stopping = false;

  constructor(
    private readonly size: number,
    private readonly open: BatonOptions,
    private readonly ledgerPath: string,
    private readonly onEvent: (what: string) => void = () => undefined,
  ) {}

  /**
   * Starts the fleet: the first worker alone (it migrates the schema and registers the workflows, which
   * must exist before runs are submitted), then the others. True when all came up.
   */
  async up(): Promise<boolean> {
    if (!(await this.start().ready)) return false;
    const others = Array.from({ length: this.size - 1 }, () => this.start());
    return (await Promise.all(others.map((w) => w.ready))).every(Boolean);
  }

  /** Starts one worker process (`chaos-w1`, `chaos-w2`, …). */
  start(): WorkerProcess {
    const id = `chaos-w${++this.started}`;
    const child = fork(
      new URL('./chaos-worker.ts', import.meta.url),
      [JSON.stringify(this.open), this.ledgerPath, id],
      { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    const w: WorkerProcess = {
      id,
      child,
      isReady: false,
      killed: false,
      ready: Promise.resolve(false),
      exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code))),
    };
    let reason = '';
    w.ready = Promise.race([
      new Promise<boolean>((resolve) =>
        child.on('message', (m: { type: string; reason?: string }) => {
          if (m.type === 'ready') resolve(true);
          if (m.type === 'crash') reason = `: ${m.reason}`;
        }),
      ),
      w.exited.then(() => false),
    ]).then((ok) => (w.isReady = ok));
    void w.exited.then((exit) => {
      if (w.killed || this.stopping) return;
      this.crashes.push(`${id} exited by itself (${exit})${reason}`);
      this.onEvent(`${id} crashed (${exit}); replacing it`);
      this.start();
    });
    this.workers.push(w);
    return w;
  }

  alive(): WorkerProcess[] {
    return this.workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
  }

  /** SIGKILLs one of the workers that are up (chosen by `random`) and starts its replacement. */
  async killOne(random: () => number): Promise<WorkerProcess | undefined> {
    const up = this.alive().filter((w) => w.isReady);
    const victim = up[Math.floor(random() * up.length)];
    if (!victim) return undefined;
    victim.killed = true;
    victim.child.kill('SIGKILL');
    await victim.exited;
    this.start();
    return victim;
  }

  /**
   * Stops every worker with SIGTERM (each releases its leases and closes its store); returns the ids
   * of those that did not exit within `graceMs` (then SIGKILLed).
   */
  async stopAll(graceMs: number): Promise<string[]> {
    this.stopping = true;
    const hung: string[] = [];
    const within = <T>(p: Promise<T>) => {
      let timer: NodeJS.Timeout | undefined;
      return Promise.race([
        p,
        new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs))),
      ]).finally(() => clearTimeout(timer));
    };
    await Promise.all(
      this.alive().map(async (w) => {
        // A replacement still starting gets its SIGTERM handler first.
        if ((await within(w.ready)) === 'late') {
          hung.push(`${w.id} (never came up)`);
          w.child.kill('SIGKILL');
          return;
        }
        w.child.kill('SIGTERM');
        const exit = await within(w.exited);
        if (exit === 'late') {
          hung.push(w.id);
          w.child.kill('SIGKILL');
        } else if (exit !== 0) {
          this.crashes.push(`${w.id} exited with ${exit} on SIGTERM`);
        }
      }),
    );
    return hung;
  }

  /** Kills whatever is left (test cleanup). */
  killAll(): void {
    this.stopping = true;
    for (const w of this.alive()) w.child.kill('SIGKILL');
  }
}
