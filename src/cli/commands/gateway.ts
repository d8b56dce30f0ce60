/**
 * `baton gateway`: serve the OpenAI-compatible gateway alone, and manage its virtual keys and
 * request log.
 * @module
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Command, Option } from 'commander';
import { BatonError } from '../../core/errors.js';
import { parseGatewayConfig } from '../../gateway/config.js';
import { createGatewayApp } from '../../gateway/http/gateway-app.js';
import { type BudgetLimit, DAY_MS, type VirtualKey } from '../../gateway/ledger/index.js';
import { parseDurationArg, parseIntArg } from '../args.js';
import type { GlobalOptions } from '../engine.js';
import { dateTime, humanDuration, processOutput, table } from '../format.js';
import { openGateway, openLedger } from '../gateway-session.js';
import { untilSignal } from './worker.js';

/** The `gateway` command and its subcommands. */
export function gatewayCommand(): Command {
  const command = new Command('gateway')
    .description(
      'serve the OpenAI-compatible LLM gateway (POST /v1/chat/completions, /v1/embeddings, GET /v1/models)',
    )
    .option('--port <n>', 'port (default: $BATON_GATEWAY_PORT, else 4000)')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--cassettes <dir>', 'record provider exchanges to, or replay them from, this directory')
    .addOption(
      new Option('--cassette-mode <mode>', 'with --cassettes')
        .choices(['record', 'replay', 'auto'])
        .default('auto'),
    )
    .action(
      async (
        opts: { port?: string; host: string; cassettes?: string; cassetteMode: 'record' | 'replay' | 'auto' },
        cmd: Command,
      ) => {
        const globals = cmd.optsWithGlobals<GlobalOptions>();
        const out = processOutput(globals.json === true);
        const port = parseIntArg(opts.port ?? process.env.BATON_GATEWAY_PORT ?? '4000', '--port', 0);
        const { gateway, ledger, label } = await openGateway(
          globals,
          opts.cassettes ? { dir: opts.cassettes, mode: opts.cassetteMode } : undefined,
        );
        const firstKey =
          (await ledger.listKeys()).length === 0
            ? await ledger.createKey({ tenant: 'default', name: 'first key' })
            : undefined;
        const server = serve({ fetch: createGatewayApp(gateway).fetch, port, hostname: opts.host });
        await new Promise<void>((resolve, reject) => {
          server.once('listening', () => resolve());
          server.once(
            'error',
            (err: Error) =>
              // Spend and log entries buffered so far are written before the command fails.
              void Promise.allSettled([gateway.close(), ledger.close()]).then(() =>
                reject(
                  new BatonError(
                    'INVALID_ARGUMENT',
                    `cannot listen on ${opts.host}:${port}: ${err.message}`,
                    {
                      hint: 'Choose another --port',
                      cause: err,
                    },
                  ),
                ),
              ),
          );
        });
        const address = server.address() as AddressInfo;
        const url = `http://${opts.host}:${address.port}/v1`;
        const routes = Object.entries(gateway.config.routes).map(([alias, route]) => ({
          alias,
          strategy: route.strategy,
          targets: route.targets.map((t) => t.model),
        }));
        const offline = routes.every((r) => r.targets.every((t) => t.startsWith('offline/')));
        out.data({
          event: 'listening',
          url,
          ledger: label,
          routes,
          offline,
          ...(firstKey ? { firstKey: firstKey.secret } : {}),
        });
        out.line(`Baton gateway on ${out.paint.bold(url)} (ledger: ${label})`);
        for (const route of routes)
          out.line(
            `  ${out.paint.cyan(route.alias.padEnd(10))} ${route.strategy}: ${route.targets.join(', ')}`,
          );
        if (offline)
          out.line(
            out.paint.yellow(
              '  no provider key configured: every route answers from the OFFLINE model (deterministic, not a real LLM)',
            ),
          );
        if (firstKey) {
          out.line(
            `\nFirst virtual key (tenant ${firstKey.key.tenant}); it is shown once, store it now:\n  ${out.paint.bold(firstKey.secret)}`,
          );
          out.line(
            out.paint.dim(
              `  curl ${url}/chat/completions -H 'authorization: Bearer ${firstKey.secret}' -H 'content-type: application/json' -d '{"model":"fast","messages":[{"role":"user","content":"hello"}]}'`,
            ),
          );
        }
        const signal = await untilSignal();
        out.line(out.paint.dim(`${signal}: stopping`));
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await gateway.close();
        await ledger.close();
      },
    );
  command.addCommand(keysCommand());
  command.addCommand(requestsCommand());
  return command;
}

function keysCommand(): Command {
  const keys = new Command('keys').description("manage the gateway's virtual keys (stored hashed)");
  keys
    .command('create')
    .description('create a key; its secret is printed once')
    .requiredOption('--tenant <tenant>', 'the tenant the key belongs to')
    .option('--name <name>', 'a label', 'key')
    .option('--models <aliases>', 'comma-separated models the key may call (default: all)')
    .option('--budget <period:usd...>', 'a budget, e.g. day:5 or month:100 (repeatable)')
    .option('--rpm <n>', 'requests per minute')
    .option('--tpm <n>', 'tokens per minute')
    .option('--expires <duration>', 'the key stops working after this long, e.g. 30d')
    .action(
      async (
        opts: {
          tenant: string;
          name: string;
          models?: string;
          budget?: string[];
          rpm?: string;
          tpm?: string;
          expires?: string;
        },
        cmd: Command,
      ) => {
        const globals = cmd.optsWithGlobals<GlobalOptions>();
        const out = processOutput(globals.json === true);
        const budgets = (opts.budget ?? []).map(parseBudget);
        const rateLimits = {
          ...(opts.rpm ? { requestsPerMinute: parseIntArg(opts.rpm, '--rpm', 1) } : {}),
          ...(opts.tpm ? { tokensPerMinute: parseIntArg(opts.tpm, '--tpm', 1) } : {}),
        };
        const { ledger } = await openLedger(globals);
        try {
          const created = await ledger.createKey({
            tenant: opts.tenant,
            name: opts.name,
            allowedModels: opts.models
              ? opts.models
                  .split(',')
                  .map((m) => m.trim())
                  .filter(Boolean)
              : [],
            budgets,
            rateLimits,
            ...(opts.expires ? { expiresAt: Date.now() + parseDurationArg(opts.expires, '--expires') } : {}),
          });
          out.data({ key: created.key, secret: created.secret });
          out.line(
            `created ${created.key.prefix} for tenant ${created.key.tenant}; the secret is shown once:`,
          );
          out.line(`  ${out.paint.bold(created.secret)}`);
        } finally {
          await ledger.close();
        }
      },
    );
  keys
    .command('list')
    .description('list keys (never their secrets)')
    .option('--tenant <tenant>', 'only this tenant')
    .action(async (opts: { tenant?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = processOutput(globals.json === true);
      const { ledger } = await openLedger(globals);
      try {
        const list = await ledger.listKeys(opts.tenant ? { tenant: opts.tenant } : {});
        out.data({ keys: list });
        if (list.length === 0)
          out.line('no keys; create one with `baton gateway keys create --tenant <name>`');
        else
          for (const line of table(
            ['KEY', 'TENANT', 'NAME', 'MODELS', 'BUDGETS', 'CREATED', 'STATE'],
            list.map(keyRow),
            out.paint,
          ))
            out.line(line);
      } finally {
        await ledger.close();
      }
    });
  keys
    .command('revoke')
    .description('revoke a key at once (gateways that cached it stop accepting it within 5 s)')
    .argument('<id>', 'the key id (the part after bvk_ in its prefix)')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = processOutput(globals.json === true);
      const { ledger } = await openLedger(globals);
      try {
        const key = await ledger.revokeKey(id.replace(/^bvk_/, ''));
        if (!key)
          throw new BatonError('INVALID_ARGUMENT', `no key ${id}`, {
            hint: 'List keys with `baton gateway keys list`',
          });
        out.data({ key });
        out.line(`revoked ${key.prefix}`);
      } finally {
        await ledger.close();
      }
    });
  return keys;
}

function requestsCommand(): Command {
  const requests = new Command('requests')
    .description("show the gateway's request log, newest first")
    .option('--tenant <tenant>', 'only this tenant')
    .option('--run <id>', 'only calls made for this run')
    .option('--limit <n>', 'how many', '20')
    .action(async (opts: { tenant?: string; run?: string; limit: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = processOutput(globals.json === true);
      const { ledger } = await openLedger(globals);
      try {
        const page = await ledger.listRequests({
          ...(opts.tenant ? { tenant: opts.tenant } : {}),
          ...(opts.run ? { runId: opts.run } : {}),
          limit: parseIntArg(opts.limit, '--limit', 1),
        });
        out.data(page);
        const rows = page.entries.map((e) => [
          dateTime(e.at),
          e.tenant,
          e.route,
          e.target ?? '-',
          e.status === 'ok' ? 'ok' : `${e.status} ${e.errorCode ?? ''}`.trim(),
          `${e.inputTokens}/${e.outputTokens}`,
          `$${e.costUsd.toFixed(6)}`,
          `${Math.round(e.latencyMs)} ms`,
          e.cacheHit ? 'hit' : '',
          String(e.retries),
        ]);
        if (rows.length === 0) out.line('no requests logged yet');
        else
          for (const line of table(
            [
              'AT',
              'TENANT',
              'ROUTE',
              'TARGET',
              'STATUS',
              'TOKENS IN/OUT',
              'COST',
              'LATENCY',
              'CACHE',
              'RETRIES',
            ],
            rows,
            out.paint,
          ))
            out.line(line);
      } finally {
        await ledger.close();
      }
    });
  requests
    .command('prune')
    .description('delete request-log entries older than a duration (spend is kept)')
    .option(
      '--older-than <duration>',
      "logged longer ago than this (default: the config's gateway.requestLog.retentionDays, else 30d)",
    )
    .action(async (opts: { olderThan?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = processOutput(globals.json === true);
      const explicit =
        opts.olderThan === undefined ? undefined : parseDurationArg(opts.olderThan, '--older-than');
      const { ledger, gatewayConfig } = await openLedger(globals);
      try {
        // The config's default (30 days) applies when the section leaves retentionDays out.
        const olderThanMs =
          explicit ??
          parseGatewayConfig(gatewayConfig, 'the gateway config').requestLog.retentionDays * DAY_MS;
        const deleted = await ledger.pruneRequests(Date.now() - olderThanMs);
        out.data({ deleted });
        out.line(
          `deleted ${deleted} request-log entr${deleted === 1 ? 'y' : 'ies'} older than ${humanDuration(olderThanMs)}`,
        );
      } finally {
        await ledger.close();
      }
    });
  return requests;
}

function parseBudget(text: string): BudgetLimit {
  const match = /^(day|week|month|total):(\d+(?:\.\d+)?)$/.exec(text.trim());
  if (!match)
    throw new BatonError('INVALID_ARGUMENT', `--budget ${text} is not period:usd`, {
      hint: 'e.g. --budget day:5 --budget month:100 (periods: day, week, month, total)',
    });
  return { period: match[1] as BudgetLimit['period'], usd: Number(match[2]) };
}

function keyRow(key: VirtualKey): string[] {
  const state = key.revokedAt
    ? 'revoked'
    : key.expiresAt !== undefined && key.expiresAt <= Date.now()
      ? 'expired'
      : 'active';
  return [
    key.prefix,
    key.tenant,
    key.name,
    key.allowedModels.join(',') || 'all',
    key.budgets.map((b) => `${b.period}:$${b.usd}`).join(' ') || '-',
    dateTime(key.createdAt),
    state,
  ];
}
