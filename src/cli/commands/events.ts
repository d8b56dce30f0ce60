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
    .description(
      'publish an event; every run waiting on its key wakes with the payload (only the runs of --tenant, when given)',
    )
    .argument('<key>', 'event key')
    .argument('[payload]', 'JSON payload, or @file.json', 'null')
    .option('--tenant <tenant>', "wake only this tenant's runs (default: every tenant's)")
    .action(async (key: string, payload: string, opts: { tenant?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = processOutput(globals.json === true);
      const value = parseJsonArg(payload, 'the payload');
      const scope = opts.tenant === undefined ? {} : { tenant: opts.tenant };
      await withEngine(globals, out, async ({ baton }) => {
        const { woken } = await baton.sendEvent(key, value, scope);
        out.data({ key, ...scope, woken });
        const whose = opts.tenant === undefined ? '' : ` of tenant "${opts.tenant}"`;
        out.line(`event "${key}" sent; ${woken} run${woken === 1 ? '' : 's'}${whose} woke`);
      });
    });
  return events;
}
