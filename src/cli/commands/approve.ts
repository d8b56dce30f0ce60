/**
 * `baton approve <run> <step> --approve|--reject`: decide an approval step that is waiting.
 * @module
 */
import { Command } from 'commander';
import { BatonError } from '../../core/errors.js';
import type { ApprovalDecision } from '../../core/types.js';
import { parseJsonArg } from '../args.js';
import { type GlobalOptions, withEngine } from '../engine.js';
import { processOutput, statusText } from '../format.js';
import { defaultDecider } from './shared.js';

interface ApproveOptions {
  approve?: boolean;
  reject?: boolean;
  comment?: string;
  by?: string;
  data?: string;
}

/** The `approve` command. */
export function approveCommand(): Command {
  return new Command('approve')
    .description('approve or reject an approval step that is waiting')
    .argument('<run>', 'run id')
    .argument('<step>', 'approval step id')
    .option('--approve', 'approve the step')
    .option('--reject', 'reject the step')
    .option('--comment <text>', 'a comment, recorded with the decision')
    .option('--by <who>', 'who decides (default: $USER, else "cli")')
    .option('--data <json|@file>', 'approve with changes: data replacing the proposed data')
    .action(async (runId: string, stepId: string, opts: ApproveOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = processOutput(globals.json === true);
      if (opts.approve === opts.reject) {
        throw new BatonError('INVALID_ARGUMENT', 'pass exactly one of --approve or --reject', {
          hint: `baton approve ${runId} ${stepId} --approve (or --reject --comment "why")`,
        });
      }
      const decision: ApprovalDecision = {
        approved: opts.approve === true,
        by: opts.by ?? defaultDecider(),
        ...(opts.comment === undefined ? {} : { comment: opts.comment }),
        ...(opts.data === undefined ? {} : { data: parseJsonArg(opts.data, '--data') }),
      };
      await withEngine(globals, out, async ({ baton }) => {
        await baton.decide(runId, stepId, decision);
        const run = await baton.getRun(runId);
        out.data({ runId, stepId, ...decision, runStatus: run.status });
        const verb = decision.approved ? out.paint.green('approved') : out.paint.red('rejected');
        out.line(
          `${verb} ${stepId} of run ${runId} as ${decision.by}; the run is ${statusText(run.status, out.paint)}`,
        );
      });
    });
}
