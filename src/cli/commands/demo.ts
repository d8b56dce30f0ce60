/**
 * `baton demo` (what `npm start` runs): one run of each example workflow on the embedded store,
 * followed live in one stream, then a summary and the commands for a tour.
 * @module
 */
import { relative } from 'node:path';
import { Command } from 'commander';
import { type GlobalOptions, withEngine } from '../engine.js';
import { abortOnInterrupt, followRuns } from '../follow.js';
import { humanDuration, processOutput, statusText, table } from '../format.js';
import { EXIT_FAILURE } from '../report-error.js';

/** The `demo` command. */
export function demoCommand(): Command {
  return new Command('demo')
    .description('run each example workflow once and follow them live (what `npm start` does)')
    .action(async (_opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = processOutput(globals.json === true);
      await withEngine(globals, out, async ({ baton, loaded, registered, dataDir, storeLabel }) => {
        const p = out.paint;
        const names = [...new Set(registered.map((v) => v.workflow))];
        const where =
          storeLabel === dataDir
            ? `the embedded store in ${relative(process.cwd(), dataDir) || '.'}`
            : `Postgres at ${storeLabel}`;
        out.line(`${p.bold('Baton demo')}: ${names.length} workflows on ${where}`);
        baton.worker({
          ...loaded.config.worker,
          onError: (e) => out.warn(`worker: ${(e as Error).message ?? String(e)}`),
        });

        const runs = [];
        for (const name of names) runs.push(await baton.submit(name, loaded.config.demoInputs?.[name] ?? {}));
        const workflowOf = new Map(runs.map((r) => [r.id, r.workflow]));
        const width = Math.max(...runs.map((r) => r.workflow.length));
        for (const r of runs)
          out.line(`  ${p.magenta(r.workflow.padEnd(width))}  run ${r.id} submitted (${r.versionId})`);
        out.line();

        const ids = runs.map((r) => r.id);
        const script = loaded.config.demoScript
          ?.call(undefined, baton, ids, (line: string) => out.line(p.dim(line)))
          .catch((e: unknown) => out.warn(`demo script: ${(e as Error).message ?? String(e)}`));
        const stop = new AbortController();
        const release = abortOnInterrupt(stop);
        let finals: Awaited<ReturnType<typeof followRuns>>;
        try {
          finals = await followRuns(baton, ids, out, {
            label: (id) => workflowOf.get(id) ?? id,
            signal: stop.signal,
          });
          if (!stop.signal.aborted) await script;
        } finally {
          release();
        }

        out.data({ runs: finals });
        out.line();
        const rows = finals.map((r) => [
          r.workflow,
          r.id,
          statusText(r.status, p),
          r.startedAt === undefined ? '-' : humanDuration((r.finishedAt ?? Date.now()) - r.startedAt),
        ]);
        for (const line of table(['WORKFLOW', 'RUN', 'STATUS', 'DURATION'], rows, p)) out.line(line);
        const first = finals[0]?.id ?? '<run>';
        const dirFlag = globals.dataDir ? ` --data-dir ${globals.dataDir}` : '';
        out.line();
        out.line('Take the tour:');
        out.line(`  ${p.bold(`npx baton runs list${dirFlag}`)}`);
        out.line(`  ${p.bold(`npx baton runs show ${first}${dirFlag}`)}`);
        out.line(`  ${p.bold(`npx baton history ${first}${dirFlag}`)}`);
        if (stop.signal.aborted || finals.some((r) => r.status !== 'succeeded'))
          process.exitCode = EXIT_FAILURE;
      });
    });
}
