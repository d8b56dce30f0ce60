/**
 * `baton mcp`: serve Baton to an MCP host over stdio, with a worker in the same process so that the
 * runs it starts progress. Only JSON-RPC goes to stdout; every other write goes to stderr.
 * @module
 */
import { Writable } from 'node:stream';
import { Command } from 'commander';
import { parseDuration } from '../../core/duration.js';
import { BatonError } from '../../core/errors.js';
import { isRole, type McpIdentity, ROLES, type Role } from '../../mcp-server/access.js';
import { parseIntArg } from '../args.js';
import { type GlobalOptions, withEngine } from '../engine.js';
import { type Output, palette } from '../format.js';
import { DEFAULT_RETENTION } from './runs.js';
import { collect, defaultDecider } from './shared.js';
import { untilSignal } from './worker.js';

interface McpOptions {
  tenant: string;
  role: string[];
  subject?: string;
  worker: boolean;
  concurrency?: string;
}

/** The `mcp` command. */
export function mcpCommand(): Command {
  return new Command('mcp')
    .description('serve Baton to an MCP host (Claude Desktop, an IDE) over stdio, with a worker')
    .option('--tenant <tenant>', 'the tenant whose runs the host sees and starts', 'default')
    .option(
      '--role <role>',
      `a role of the host, repeatable: ${ROLES.join(', ')} (default: operator)`,
      collect,
      [],
    )
    .option('--subject <name>', 'who the host is, recorded on its approvals (default: $USER, else "cli")')
    .option('--no-worker', 'start no worker: a `baton worker` elsewhere runs the runs')
    .option('--concurrency <n>', 'tasks the worker runs at once (default: config, else 50)')
    .action(async (opts: McpOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const identity = identityFrom(opts);
      const concurrency =
        opts.concurrency === undefined ? undefined : parseIntArg(opts.concurrency, '--concurrency', 1);
      const stdout = reserveStdout();
      const out = stderrOutput();
      await withEngine(globals, out, async ({ baton, loaded, storeLabel }) => {
        const settings = loaded.config.worker ?? {};
        if (opts.worker) {
          baton.worker({
            concurrency: concurrency ?? settings.concurrency ?? 50,
            leaseMs: settings.leaseMs ?? 5000,
            retentionMs: parseDuration(loaded.config.retention ?? DEFAULT_RETENTION),
            onError: (e) => out.warn(`worker error: ${(e as Error).message ?? String(e)}`),
          });
        }
        // Loaded here, so other commands do not load the MCP server SDK.
        const { serveMcpStdio } = await import('../../mcp-server/stdio.js');
        const session = await serveMcpStdio(baton, identity, {
          stdout,
          onWarning: (m) => out.warn(`baton mcp: ${m}`),
        });
        out.warn(
          `baton mcp: serving ${storeLabel} over stdio as ${identity.subject} (tenant ${identity.tenant}, roles ${identity.roles.join(', ')})${opts.worker ? ' with a worker' : ''}`,
        );
        await Promise.race([session.closed, untilSignal()]);
        await session.close();
      });
    });
}

function identityFrom(opts: McpOptions): McpIdentity {
  const roles = opts.role.length === 0 ? ['operator'] : opts.role;
  const unknown = roles.filter((r) => !isRole(r));
  if (unknown.length > 0) {
    throw new BatonError('INVALID_ARGUMENT', `--role ${unknown.join(', ')} is not a role`, {
      hint: `Roles are ${ROLES.join(', ')}`,
    });
  }
  if (opts.tenant.length === 0) throw new BatonError('INVALID_ARGUMENT', '--tenant must not be empty');
  return { subject: opts.subject || defaultDecider(), tenant: opts.tenant, roles: roles as Role[] };
}

/**
 * Keeps stdout for the MCP transport: any other write to it (a `console.log` in a workflow or a
 * config module) would corrupt the JSON-RPC stream, so it goes to stderr instead.
 */
function reserveStdout(): Writable {
  const write = process.stdout.write.bind(process.stdout);
  const toStderr = process.stderr.write.bind(process.stderr);
  process.stdout.write = toStderr as typeof process.stdout.write;
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      write(chunk, (err) => callback(err ?? null));
    },
  });
}

/** The command's messages, all on stderr. */
function stderrOutput(): Output {
  const line = (text = '') => {
    process.stderr.write(`${text}\n`);
  };
  return { json: false, tty: false, paint: palette(false), line, data: () => {}, warn: line };
}
