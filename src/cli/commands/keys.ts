/**
 * `baton keys create|list|revoke`: the API's keys. Each belongs to a tenant and holds roles; only its
 * hash is stored, and its secret is printed once.
 * @module
 */
import { Command, Option } from 'commander';
import { BatonError } from '../../core/errors.js';
import { type ApiKey, ROLES, type Role } from '../../server/control/port.js';
import { parseDurationArg } from '../args.js';
import { openControl } from '../control-session.js';
import type { GlobalOptions } from '../engine.js';
import { dateTime, processOutput, table } from '../format.js';

/** The `keys` command. */
export function keysCommand(): Command {
  const keys = new Command('keys').description('manage API keys (roles per tenant; stored hashed)');
  keys
    .command('create')
    .description('create a key; its secret is printed once')
    .option('--tenant <tenant>', 'the tenant the key belongs to', 'default')
    .option('--name <name>', 'a label', 'key')
    .addOption(
      new Option('--role <role>', 'a role (repeatable): admin, developer, operator, approver, viewer')
        .choices([...ROLES])
        .argParser((value: string, previous: Role[] | undefined) => [...(previous ?? []), value as Role])
        .makeOptionMandatory(),
    )
    .option('--expires <duration>', 'the key stops working after this long, e.g. 30d')
    .action(async (opts: { tenant: string; name: string; role: Role[]; expires?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = processOutput(globals.json === true);
      const control = await openControl(globals);
      try {
        const created = await control.createKey({
          tenant: opts.tenant,
          name: opts.name,
          roles: opts.role,
          ...(opts.expires ? { expiresAt: Date.now() + parseDurationArg(opts.expires, '--expires') } : {}),
        });
        out.data({ key: created.key, secret: created.secret });
        out.line(
          `created ${created.key.prefix} (${created.key.roles.join(', ')}) for tenant ${created.key.tenant}; the secret is shown once:`,
        );
        out.line(`  ${out.paint.bold(created.secret)}`);
      } finally {
        await control.close();
      }
    });
  keys
    .command('list')
    .description('list keys (never their secrets)')
    .option('--tenant <tenant>', 'only this tenant')
    .action(async (opts: { tenant?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = processOutput(globals.json === true);
      const control = await openControl(globals);
      try {
        const list = await control.listKeys(opts.tenant ? { tenant: opts.tenant } : {});
        out.data({ keys: list });
        if (list.length === 0) out.line('no keys; create one with `baton keys create --role admin`');
        else
          for (const line of table(
            ['KEY', 'TENANT', 'NAME', 'ROLES', 'CREATED', 'STATE'],
            list.map(row),
            out.paint,
          ))
            out.line(line);
      } finally {
        await control.close();
      }
    });
  keys
    .command('revoke')
    .description('revoke a key at once')
    .argument('<id>', 'the key id (the part after bk_ in its prefix)')
    .option('--tenant <tenant>', 'the tenant the key belongs to', 'default')
    .action(async (id: string, opts: { tenant: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = processOutput(globals.json === true);
      const control = await openControl(globals);
      try {
        const key = await control.revokeKey(opts.tenant, id.replace(/^bk_/, ''));
        if (!key) {
          throw new BatonError('INVALID_ARGUMENT', `tenant ${opts.tenant} has no key ${id}`, {
            hint: 'List keys with `baton keys list`',
          });
        }
        out.data({ key });
        out.line(`revoked ${key.prefix}`);
      } finally {
        await control.close();
      }
    });
  return keys;
}

function row(key: ApiKey): string[] {
  const state =
    key.revokedAt !== undefined
      ? `revoked ${dateTime(key.revokedAt)}`
      : key.expiresAt !== undefined && key.expiresAt <= Date.now()
        ? 'expired'
        : 'active';
  return [key.prefix, key.tenant, key.name, key.roles.join(','), dateTime(key.createdAt), state];
}
