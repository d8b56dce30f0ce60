/**
 * `baton runs replay|fork`: check a code or prompt change against a past run, and restart a past
 * run from one of its steps.
 * @module
 */
import type { Command } from 'commander';
import type { ReplayStepStatus } from '../../runtime/replay/replay-report.js';
import { parseJsonArg } from '../args.js';
import { type GlobalOptions, withEngine } from '../engine.js';
import { abortOnInterrupt, followRuns, printRunResult } from '../follow.js';
import type { Palette } from '../format.js';
import { processOutput, table } from '../format.js';
import { EXIT_FAILURE } from '../report-error.js';
import { versionId } from './shared.js';

interface ForkCliOptions {
  from: string;
  input?: string;
  version?: string;
  allowEffects?: boolean;
  detach?: boolean;
  worker: boolean;
}

/** Adds `replay` and `fork` to the `runs` command group. */
export function addReplayCommands(runs: Command): void {
  runs
    .command('replay')
    .description(
      're-execute a run against its recorded outputs (no model call, no effect) and report divergence; exits 1 when a step diverged',
    )
    .argument('<run>', 'run id')
    .option(
      '--version <id>',
      'replay with this version of the workflow (2 or name@2); the run’s own by default',
    )
    .action(async (runId: string, opts: { version?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = processOutput(globals.json === true);
      await withEngine(globals, out, async ({ baton }) => {
        const run = await baton.getRun(runId);
        const version =
          opts.version === undefined ? undefined : versionId(run.workflow, opts.version, '--version');
        const report = await baton.replay(runId, version === undefined ? {} : { version });
        out.data(report);
        const p = out.paint;
        out.line(
          `replayed run ${p.bold(runId)} (recorded on ${report.recordedWith}) with ${p.bold(report.replayedWith)}`,
        );
        out.line();
        const rows = report.steps.map((s) => [s.stepId, paintStatus(s.status, p), s.mode, s.detail]);
        for (const line of table(['STEP', 'RESULT', 'HOW', 'DETAIL'], rows, p, '  ')) out.line(line);
        const counts = new Map<string, number>();
        for (const s of report.steps) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
        out.line();
        out.line(
          `${[...counts].map(([status, n]) => `${n} ${status}`).join(', ')}; ${report.modelCalls} model calls, ${report.effects} effects`,
        );
        out.line(`run output: ${paintStatus(report.output.status, p)} (${report.output.detail})`);
        if (report.diverged) process.exitCode = EXIT_FAILURE;
      });
    });

  runs
    .command('fork')
    .description('start a new run from a step of a past run: the steps before it keep their recorded outputs')
    .argument('<run>', 'run id')
    .requiredOption('--from <step>', 'the first step to execute live')
    .option('-i, --input <json|@file>', "the fork's input, as JSON or @file.json (the run's by default)")
    .option('--version <id>', 'run this version of the workflow (2 or name@2); the run’s own by default')
    .option('--allow-effects', 'let effect steps at or after --from run (refused otherwise)')
    .option('--detach', 'print the run id and exit without waiting')
    .option('--no-worker', 'do not start a worker in this process (separate `baton worker` processes run it)')
    .action(async (runId: string, opts: ForkCliOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = processOutput(globals.json === true);
      const input = opts.input === undefined ? undefined : parseJsonArg(opts.input, '--input');
      await withEngine(globals, out, async ({ baton, loaded }) => {
        const past = await baton.getRun(runId);
        const fork = await baton.fork(runId, {
          fromStep: opts.from,
          ...(input === undefined ? {} : { input }),
          ...(opts.version === undefined
            ? {}
            : { version: versionId(past.workflow, opts.version, '--version') }),
          ...(opts.allowEffects ? { allowEffects: true } : {}),
        });
        if (opts.detach) {
          out.line(fork.run.id);
          out.data(fork);
          return;
        }
        const p = out.paint;
        out.line(
          `${p.bold(`run ${fork.run.id}`)} ${p.dim(`${fork.run.versionId}, forked from ${runId}@${opts.from}`)}`,
        );
        out.line(p.dim(`  reused: ${fork.reused.join(', ') || 'none'}; live: ${fork.executed.join(', ')}`));
        if (opts.worker) {
          baton.worker({
            ...loaded.config.worker,
            onError: (e) => out.warn(`worker: ${(e as Error).message ?? String(e)}`),
          });
        }
        const stop = new AbortController();
        const release = abortOnInterrupt(stop);
        try {
          const [final] = await followRuns(baton, [fork.run.id], out, { signal: stop.signal });
          if (!final) return;
          printRunResult(final, out);
          out.data({ ...fork, run: final });
          if (!stop.signal.aborted && final.status !== 'succeeded') process.exitCode = EXIT_FAILURE;
        } finally {
          release();
        }
      });
    });
}

function paintStatus(status: ReplayStepStatus | 'not-compared', p: Palette): string {
  if (status === 'same') return p.green(status);
  if (status === 'diverged') return p.red(status);
  return p.yellow(status);
}
