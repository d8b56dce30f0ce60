/**
 * `baton run <workflow>`: submit a run and follow it live until it finishes.
 * @module
 */
import { Command } from 'commander';
import type { SubmitOptions } from '../../runtime/baton.js';
import { parseDurationArg, parseIntArg, parseJsonArg } from '../args.js';
import { type GlobalOptions, withEngine } from '../engine.js';
import { abortOnInterrupt, followRuns, printRunResult } from '../follow.js';
import { processOutput } from '../format.js';
import { EXIT_FAILURE } from '../report-error.js';
import { collect, versionId } from './shared.js';

interface RunOptions {
  input: string;
  version?: string;
  idempotencyKey?: string;
  priority?: string;
  tag: string[];
  detach?: boolean;
  worker: boolean;
  timeout?: string;
}

/** Exit code when the user stopped following with Ctrl-C (the run goes on). */
const EXIT_INTERRUPTED = 130;

/** The `run` command. */
export function runCommand(): Command {
  return new Command('run')
    .description('submit a run and follow it live until it finishes')
    .argument('<workflow>', 'workflow name')
    .option('-i, --input <json|@file>', 'the run input, as JSON or @file.json', '{}')
    .option('--version <id>', 'pin a version (2 or name@2); the latest by default')
    .option('--idempotency-key <key>', 'submitting again with the same key returns the first run')
    .option('--priority <n>', 'higher runs first (default 0)')
    .option('--tag <tag>', 'tag the run (repeatable)', collect, [])
    .option('--detach', 'print the run id and exit without waiting')
    .option('--no-worker', 'do not start a worker in this process (separate `baton worker` processes run it)')
    .option(
      '--timeout <duration>',
      "bound the run's wall-clock time (30s, 5m, 1h), overriding the workflow's",
    )
    .action(async (workflow: string, opts: RunOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = processOutput(globals.json === true);
      // Everything is parsed before the engine opens: a rejected command writes nothing.
      const input = parseJsonArg(opts.input, '--input');
      const submit: SubmitOptions = {
        ...(opts.version === undefined ? {} : { version: versionId(workflow, opts.version, '--version') }),
        ...(opts.idempotencyKey === undefined ? {} : { idempotencyKey: opts.idempotencyKey }),
        ...(opts.priority === undefined ? {} : { priority: parseIntArg(opts.priority, '--priority') }),
        ...(opts.tag.length === 0 ? {} : { tags: opts.tag }),
        ...(opts.timeout === undefined ? {} : { timeoutMs: parseDurationArg(opts.timeout, '--timeout') }),
      };
      await withEngine(globals, out, async ({ baton, loaded }) => {
        const run = await baton.submit(workflow, input, submit);
        if (opts.detach) {
          out.line(run.id);
          out.data(run);
          return;
        }
        out.line(`${out.paint.bold(`run ${run.id}`)} ${out.paint.dim(`${run.versionId}`)}`);
        if (opts.worker) {
          baton.worker({
            ...loaded.config.worker,
            onError: (e) => out.warn(`worker: ${(e as Error).message ?? String(e)}`),
          });
        } else {
          out.line(out.paint.dim('  no worker in this process: a `baton worker` process must run it'));
        }
        const stop = new AbortController();
        const release = abortOnInterrupt(stop);
        try {
          const [final] = await followRuns(baton, [run.id], out, { signal: stop.signal });
          if (!final) return;
          printRunResult(final, out);
          out.data(final);
          if (stop.signal.aborted) {
            out.line(
              out.paint.dim(
                `stopped following; the run goes on. Follow it with: baton runs show ${final.id}`,
              ),
            );
            process.exitCode = EXIT_INTERRUPTED;
          } else if (final.status !== 'succeeded') {
            process.exitCode = EXIT_FAILURE;
          }
        } finally {
          release();
        }
      });
    });
}
