/**
 * `baton events send <key> <payload>`: publish an external event to the runs waiting on its key.
 * @module
 */
import { Command } from 'commander';
import { parseJsonArg } from '../args.js';
import { type GlobalOptions, withEngine } from '../engine.js';
import { processOutput } from '../format.js';

/** The `events` command group. */
export function eventsCommand(): Command {
  const events = new Command('events').description('external events that waiting runs wake on');
  events
    .command('send')
    .description('publish an event; every run waiting on its key wakes with the payload')
    .argument('<key>', 'event key')
    .argument('[payload]', 'JSON payload, or @file.json', 'null')
    .action(async (key: string, payload: string, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = processOutput(globals.json === true);
      const value = parseJsonArg(payload, 'the payload');
      await withEngine(globals, out, async ({ baton }) => {
        const { woken } = await baton.sendEvent(key, value);
        out.data({ key, woken });
        out.line(`event "${key}" sent; ${woken} run${woken === 1 ? '' : 's'} woke`);
      });
    });
  return events;
}
