/**
 * `baton costs <workflow>`: the cost model of a workflow version over a window (tokens, cost and
 * duration per run at p50/p95/p99, and the most expensive steps), from the engine's store and the
 * gateway's request log.
 * @module
 */
import { Command } from 'commander';
import { type CostModel, costModel } from '../../telemetry/costs/cost-model.js';
import { parseDuration } from '../../telemetry/run-window.js';
import { type GlobalOptions, withEngine } from '../engine.js';
import { type Output, processOutput, table } from '../format.js';
import { openLedger } from '../gateway-session.js';

interface CostsOptions {
  version?: string;
  window: string;
  tenant?: string;
}

/** The `costs` command. */
export function costsCommand(): Command {
  return new Command('costs')
    .description(
      'tokens, cost and duration per run at p50/p95/p99 for a workflow version, with its top steps',
    )
    .argument('<workflow>', 'workflow name')
    .option('--version <version>', 'version id, number or label (default: the latest)')
    .option('--window <duration>', 'runs created this far back: 30m, 24h, 7d', '24h')
    .option('--tenant <tenant>', 'only this tenant (default: every tenant)')
    .action(async (workflow: string, opts: CostsOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = processOutput(globals.json === true);
      const windowMs = parseDuration(opts.window);
      await withEngine(globals, out, async (session) => {
        const own = session.gateway ? undefined : await openLedger(globals);
        try {
          const now = Date.now();
          const model = await costModel(
            { baton: session.baton, ledger: session.gateway?.ledger ?? own?.ledger },
            {
              workflow,
              ...(opts.version === undefined ? {} : { version: opts.version }),
              ...(opts.tenant === undefined ? {} : { tenant: opts.tenant }),
              since: now - windowMs,
              until: now,
            },
          );
          out.data(model);
          print(out, model, opts.window);
        } finally {
          await own?.ledger.close();
        }
      });
    });
}

const usd = (x: number) => `$${x < 1 ? x.toFixed(4) : x.toFixed(2)}`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

function print(out: Output, model: CostModel, window: string): void {
  const p = out.paint;
  out.line(
    `${p.bold(model.version)}: ${model.runs} finished run${model.runs === 1 ? '' : 's'} in the last ${window}`,
  );
  if (model.runs === 0) return;
  const rows = [
    ['tokens', ...(['p50', 'p95', 'p99'] as const).map((k) => String(Math.round(model.tokens[k])))],
    ['cost', ...(['p50', 'p95', 'p99'] as const).map((k) => usd(model.costUsd[k]))],
    ['duration', ...(['p50', 'p95', 'p99'] as const).map((k) => seconds(model.durationMs[k]))],
  ];
  for (const line of table(['PER RUN', 'P50', 'P95', 'P99'], rows, p)) out.line(line);
  out.line(`total ${usd(model.totalCostUsd)}`);
  if (!model.usageLogged) out.line(p.dim('no gateway request log: tokens and cost are zero'));
  if (model.topSteps.length > 0) {
    out.line('');
    const steps = model.topSteps.map((s) => [
      s.stepId,
      usd(s.costUsd),
      `${(s.share * 100).toFixed(1)}%`,
      String(s.tokens),
      String(s.calls),
    ]);
    for (const line of table(['STEP', 'COST', 'SHARE', 'TOKENS', 'CALLS'], steps, p)) out.line(line);
  }
  if (model.unattributedCostUsd > 0)
    out.line(p.dim(`${usd(model.unattributedCostUsd)} made by calls naming no step`));
}
