/**
 * `baton history <run>`: every event of a run's append-only history.
 * @module
 */
import { Command } from 'commander';
import { type GlobalOptions, withEngine } from '../engine.js';
import { clockTime, processOutput, shortJson, table } from '../format.js';

/** The `history` command. */
export function historyCommand(): Command {
  return new Command('history')
    .description("every event of a run's history")
    .argument('<run>', 'run id')
    .action(async (runId: string, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = processOutput(globals.json === true);
      await withEngine(globals, out, async ({ baton }) => {
        const events = await baton.history(runId);
        out.data(events);
        const rows = events.map((e) => [
          String(e.seq),
          clockTime(e.at),
          e.type,
          e.stepId ?? '',
          [e.item === undefined ? '' : `item ${e.item}`, e.attempt === undefined ? '' : `#${e.attempt}`]
            .filter(Boolean)
            .join(' '),
          out.paint.dim(shortJson(e.data)),
        ]);
        for (const line of table(['SEQ', 'TIME', 'TYPE', 'STEP', 'ITEM/ATTEMPT', 'DATA'], rows, out.paint))
          out.line(line);
      });
    });
}
