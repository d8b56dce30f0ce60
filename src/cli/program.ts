/**
 * The `baton` program: wiring of the commands, global options, and exit codes. Each command is a thin
 * adapter over the engine facade; see `commands/`. The executable entry is `main.ts`.
 * @module
 */
import { Command, CommanderError } from 'commander';
import { approveCommand } from './commands/approve.js';
import { costsCommand } from './commands/costs.js';
import { demoCommand } from './commands/demo.js';
import { eventsCommand } from './commands/events.js';
import { gatewayCommand } from './commands/gateway.js';
import { historyCommand } from './commands/history.js';
import { keysCommand } from './commands/keys.js';
import { mcpCommand } from './commands/mcp.js';
import { runCommand } from './commands/run.js';
import { runsCommand } from './commands/runs.js';
import { devCommand, serverCommand } from './commands/server.js';
import { workerCommand } from './commands/worker.js';
import { workflowsCommand } from './commands/workflows.js';
import { EXIT_USAGE, reportError } from './report-error.js';

/** Builds the `baton` program. Commands throw; {@link main} turns errors into messages and exit codes. */
export function buildProgram(): Command {
  const program = new Command('baton')
    .description(
      'Baton: durable workflows and an LLM gateway. Submit runs, follow them, approve steps, run workers, serve the gateway.',
    )
    .option(
      '--config <file>',
      'config module (default: ./baton.config.{ts,js,mjs}, else the built-in examples)',
    )
    .option(
      '--data-dir <dir>',
      "where the embedded store lives (default: $BATON_DATA_DIR, the config's dataDir, ./.baton)",
    )
    .option(
      '--database-url <url>',
      "run on Postgres: postgres://user:password@host:5432/db (default: $BATON_DATABASE_URL, the config's databaseUrl; else embedded SQLite)",
    )
    .option('--json', 'machine-readable output')
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      '\nEnvironment: BATON_DATABASE_URL (Postgres), BATON_DATA_DIR, BATON_DURABILITY (full|normal), BATON_DEBUG=1 (stack traces), NO_COLOR.',
    );
  for (const command of [
    runCommand(),
    runsCommand(),
    historyCommand(),
    costsCommand(),
    approveCommand(),
    eventsCommand(),
    workerCommand(),
    gatewayCommand(),
    mcpCommand(),
    serverCommand(),
    devCommand(),
    keysCommand(),
    workflowsCommand(),
    demoCommand(),
  ]) {
    program.addCommand(command);
  }
  exitOverrideDeep(program);
  return program;
}

/** Commander exits by itself on usage errors unless told otherwise, command by command. */
function exitOverrideDeep(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) exitOverrideDeep(sub);
}

/** Runs the command line; resolves to the process exit code. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const json = argv.includes('--json');
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version requests end in a CommanderError too, with exit code 0.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    return reportError(error, json);
  }
}
