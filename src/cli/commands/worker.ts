/**
 * `baton worker`: run a worker until SIGINT or SIGTERM, then stop gracefully.
 * @module
 */
import { Command } from 'commander';
import { parseDuration } from '../../core/duration.js';
import { parseDurationArg, parseIntArg } from '../args.js';
import { type GlobalOptions, withServingEngine } from '../engine.js';
import { humanDuration, processOutput } from '../format.js';
import { DEFAULT_RETENTION } from './runs.js';

/** The `worker` command. */
export function workerCommand(): Command {
  return new Command('worker')
    .description('run a worker until interrupted (SIGINT/SIGTERM stop it gracefully)')
    .option('--concurrency <n>', 'tasks run at once (default: config, else 50)')
    .option('--lease <duration>', "how long a task's lease lasts (default: config, else 5s)")
    .action(async (opts: { concurrency?: string; lease?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = processOutput(globals.json === true);
      const concurrency =
        opts.concurrency === undefined ? undefined : parseIntArg(opts.concurrency, '--concurrency', 1);
      const leaseMs = opts.lease === undefined ? undefined : parseDurationArg(opts.lease, '--lease');
      await withServingEngine(globals, out, async ({ baton, loaded, storeLabel }) => {
        const settings = loaded.config.worker ?? {};
        const options = {
          concurrency: concurrency ?? settings.concurrency ?? 50,
          leaseMs: leaseMs ?? settings.leaseMs ?? 5000,
          // The store stays bounded by default: finished runs older than the retention are pruned hourly.
          retentionMs: parseDuration(loaded.config.retention ?? DEFAULT_RETENTION),
        };
        const stopped = untilSignal();
        const worker = baton.worker({
          ...options,
          onError: (e) => out.warn(`worker error: ${(e as Error).message ?? String(e)}`),
        });
        out.data({ event: 'started', workerId: worker.id, ...options });
        out.line(
          `worker ${worker.id} started on ${storeLabel} (concurrency ${options.concurrency}, lease ${humanDuration(options.leaseMs)}); Ctrl-C to stop`,
        );
        const signal = await stopped;
        out.line(out.paint.dim(`${signal}: stopping; running tasks get up to 5 s to finish`));
        await worker.stop();
        out.data({ event: 'stopped', workerId: worker.id });
        out.line(`worker ${worker.id} stopped`);
      });
    });
}

/** Resolves with the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
