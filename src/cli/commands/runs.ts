/**
 * `baton runs list|show|cancel|prune|replay|fork`: look at runs and manage them.
 * @module
 */
import { Command } from 'commander';
import { parseDuration } from '../../core/duration.js';
import type { Run, StepState, WaitInfo } from '../../core/types.js';
import type { Baton } from '../../runtime/baton.js';
import type { RunFilter } from '../../store/port.js';
import { parseDurationArg, parseIntArg, parseStatusArg } from '../args.js';
import { type GlobalOptions, withEngine } from '../engine.js';
import {
  dateTime,
  humanDuration,
  type Output,
  prettyJson,
  processOutput,
  shortJson,
  statusText,
  table,
} from '../format.js';
import { addReplayCommands } from './replay.js';
import { defaultDecider } from './shared.js';

/** Retention used by `runs prune` when neither `--older-than` nor the config's `retention` is given. */
export const DEFAULT_RETENTION = '30d';

/** The `runs` command group. */
export function runsCommand(): Command {
  const runs = new Command('runs').description('list, inspect, cancel and prune runs');

  runs
    .command('list')
    .description('list runs, newest first')
    .option('--workflow <name>', 'only runs of this workflow')
    .option('--status <status>', 'only runs with this status (or several, comma-separated)')
    .option('--limit <n>', 'at most this many runs', '20')
    .option('--cursor <runId>', 'runs created before this one (the next page)')
    .action(
      async (opts: { workflow?: string; status?: string; limit: string; cursor?: string }, cmd: Command) => {
        const globals = cmd.optsWithGlobals<GlobalOptions>();
        const out = processOutput(globals.json === true);
        const limit = parseIntArg(opts.limit, '--limit', 1);
        const filter: RunFilter = {
          limit,
          ...(opts.workflow === undefined ? {} : { workflow: opts.workflow }),
          ...(opts.status === undefined ? {} : { status: parseStatusArg(opts.status) }),
          ...(opts.cursor === undefined ? {} : { cursor: opts.cursor }),
        };
        await withEngine(globals, out, async ({ baton }) => {
          const list = await baton.listRuns(filter);
          const nextCursor = list.length === limit ? list[list.length - 1]?.id : undefined;
          out.data({ runs: list, nextCursor: nextCursor ?? null });
          if (list.length === 0) {
            out.line(out.paint.dim('no runs'));
            return;
          }
          const rows = list.map((r) => [
            r.id,
            r.versionId,
            statusText(r.status, out.paint),
            dateTime(r.createdAt),
            runDuration(r),
          ]);
          for (const line of table(['ID', 'WORKFLOW', 'STATUS', 'CREATED', 'DURATION'], rows, out.paint))
            out.line(line);
          if (nextCursor) out.line(out.paint.dim(`more: baton runs list --cursor ${nextCursor}`));
        });
      },
    );

  runs
    .command('show')
    .description("a run's summary, its steps, and what it waits for")
    .argument('<run>', 'run id')
    .action(async (runId: string, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = processOutput(globals.json === true);
      await withEngine(globals, out, async ({ baton }) => {
        const run = await baton.getRun(runId);
        const steps = await baton.steps(runId);
        out.data({ run, steps });
        await printRun(baton, run, steps, out);
      });
    });

  runs
    .command('cancel')
    .description('cancel a run (its compensations run)')
    .argument('<run>', 'run id')
    .option('--reason <text>', 'why, recorded in its history', 'cancelled from the command line')
    .action(async (runId: string, opts: { reason: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = processOutput(globals.json === true);
      await withEngine(globals, out, async ({ baton }) => {
        const run = await baton.cancel(runId, opts.reason, defaultDecider());
        out.data(run);
        out.line(
          `run ${run.id} ${statusText(run.status, out.paint)}${run.phase === 'compensating' ? ' (compensating)' : ''}`,
        );
      });
    });

  runs
    .command('prune')
    .description('delete finished runs older than a duration, with their history')
    .option(
      '--older-than <duration>',
      "finished longer ago than this (default: the config's retention, else 30d)",
    )
    .action(async (opts: { olderThan?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = processOutput(globals.json === true);
      const explicit =
        opts.olderThan === undefined ? undefined : parseDurationArg(opts.olderThan, '--older-than');
      await withEngine(globals, out, async ({ baton, loaded }) => {
        const olderThanMs = explicit ?? parseDuration(loaded.config.retention ?? DEFAULT_RETENTION);
        const result = await baton.prune(Date.now() - olderThanMs);
        out.data({ ...result, olderThanMs });
        out.line(
          `removed ${result.runs} run${result.runs === 1 ? '' : 's'} finished more than ${humanDuration(olderThanMs)} ago`,
        );
      });
    });

  addReplayCommands(runs);
  return runs;
}

function runDuration(run: Run): string {
  if (run.startedAt === undefined) return '-';
  return humanDuration((run.finishedAt ?? Date.now()) - run.startedAt);
}

async function printRun(baton: Baton, run: Run, steps: StepState[], out: Output): Promise<void> {
  const p = out.paint;
  const version = (await baton.versions(run.workflow)).find((v) => v.id === run.versionId);
  const field = (name: string, value: string) => out.line(`${p.dim(name.padEnd(9))} ${value}`);
  field('run', p.bold(run.id));
  field('workflow', `${run.versionId}${version ? p.dim(` (${version.label})`) : ''}`);
  field(
    'status',
    `${statusText(run.status, p)}${run.phase !== 'done' && run.phase !== 'steps' ? ` (${run.phase})` : ''}`,
  );
  field('created', dateTime(run.createdAt));
  if (run.finishedAt !== undefined)
    field('finished', `${dateTime(run.finishedAt)}  ${p.dim(`took ${runDuration(run)}`)}`);
  if (run.deadlineAt !== undefined && run.finishedAt === undefined)
    field('deadline', dateTime(run.deadlineAt));
  if (run.tags.length > 0) field('tags', run.tags.join(', '));
  if (run.priority !== 0) field('priority', String(run.priority));
  if (run.parentRunId) field('parent', `${run.parentRunId} (step ${run.parentStepId ?? '?'})`);
  if (run.error) field('error', `${p.red(run.error.code)} ${run.error.message}`);

  const byId = new Map(steps.map((s) => [s.stepId, s]));
  const order = version ? version.graph.steps.map((s) => s.id) : steps.map((s) => s.stepId);
  const rows = order.map((id) => {
    const s = byId.get(id);
    const status = s
      ? statusText(s.status, p) + (s.map ? p.dim(` ${s.map.succeeded + s.map.failed}/${s.map.total}`) : '')
      : p.dim('pending');
    const took = s?.startedAt === undefined ? '-' : humanDuration((s.finishedAt ?? Date.now()) - s.startedAt);
    return [id, status, String(s?.attempt ?? 0), took, s?.error ? p.red(s.error.code) : ''];
  });
  out.line();
  for (const line of table(['STEP', 'STATUS', 'ATTEMPTS', 'DURATION', 'ERROR'], rows, p, '  '))
    out.line(line);

  const waiting = steps.filter((s) => s.status === 'waiting' && s.wait);
  if (waiting.length > 0) {
    out.line();
    for (const s of waiting)
      for (const line of waitLines(run.id, s.stepId, s.wait as WaitInfo, out)) out.line(line);
  }
  if (run.status === 'succeeded') {
    out.line();
    out.line(p.dim('output:'));
    for (const line of prettyJson(run.output)) out.line(line);
  }
}

function waitLines(runId: string, stepId: string, wait: WaitInfo, out: Output): string[] {
  const p = out.paint;
  const head = `${p.yellow('⏸')} ${stepId}`;
  switch (wait.type) {
    case 'approval': {
      const a = wait.approval;
      const lines = [`${head} waits for approval: "${a?.prompt ?? ''}"`];
      if (a?.assignee || a?.role)
        lines.push(`    assignee ${[a.assignee, a.role && `role ${a.role}`].filter(Boolean).join(', ')}`);
      if (a?.data !== undefined) lines.push(`    data     ${shortJson(a.data, 100)}`);
      if (a?.timeoutAt !== undefined)
        lines.push(`    timeout  ${dateTime(a.timeoutAt)} (then ${a.defaultAction})`);
      lines.push(
        `    decide:  ${p.bold(`baton approve ${runId} ${stepId} --approve`)}  (or --reject --comment "...")`,
      );
      return lines;
    }
    case 'event':
      return [
        `${head} waits for event "${wait.key ?? ''}"${wait.until !== undefined ? ` until ${dateTime(wait.until)}` : ''}`,
        `    send:    ${p.bold(`baton events send ${wait.key ?? '<key>'} '{}'`)}`,
      ];
    case 'sleep':
      return [
        `${head} sleeps until ${wait.until === undefined ? '?' : `${dateTime(wait.until)} (in ${humanDuration(wait.until - Date.now())})`}`,
      ];
    case 'child':
      return [
        `${head} waits for child run ${wait.childRunId ?? '?'}: baton runs show ${wait.childRunId ?? ''}`,
      ];
    default:
      return [`${head} waits`];
  }
}
