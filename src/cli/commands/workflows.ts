/**
 * `baton workflows list|show|diff|register|validate`: registered workflows and their versions.
 * @module
 */
import { basename } from 'node:path';
import { Command } from 'commander';
import type { VersionDiff } from '../../core/diff.js';
import { compileSpec, parseSpecText } from '../../spec/index.js';
import { readArgFile } from '../args.js';
import { loadConfig } from '../config.js';
import { type GlobalOptions, registerTracked, withEngine } from '../engine.js';
import { dateTime, type Output, processOutput, shortJson, table } from '../format.js';
import { versionId } from './shared.js';

/** The `workflows` command group. */
export function workflowsCommand(): Command {
  const workflows = new Command('workflows').description('registered workflows, their versions and specs');

  workflows
    .command('list')
    .description('registered workflows with their latest version')
    .action(async (_opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = processOutput(globals.json === true);
      await withEngine(globals, out, async ({ baton }) => {
        const list = await baton.listWorkflows();
        out.data(
          list.map((w) => ({
            workflow: w.workflow,
            latest: w.latest.id,
            label: w.latest.label,
            versions: w.versions,
          })),
        );
        const rows = list.map((w) => [w.workflow, w.latest.id, w.latest.label, String(w.versions)]);
        for (const line of table(['WORKFLOW', 'LATEST', 'LABEL', 'VERSIONS'], rows, out.paint))
          out.line(line);
      });
    });

  workflows
    .command('show')
    .description("a workflow's versions and the steps of its latest version")
    .argument('<name>', 'workflow name')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = processOutput(globals.json === true);
      await withEngine(globals, out, async ({ baton }) => {
        const versions = await baton.versions(name);
        const latest = versions.reduce((a, b) => (b.number > a.number ? b : a));
        out.data({
          workflow: name,
          versions: versions.map(({ definition: _d, graph: _g, ...v }) => v),
          latest: latest.graph,
        });
        const p = out.paint;
        out.line(p.bold(name));
        const versionRows = versions.map((v) => [
          v.id,
          v.label,
          v.source,
          dateTime(v.createdAt),
          v.hash.slice(0, 12),
        ]);
        for (const line of table(['VERSION', 'LABEL', 'SOURCE', 'REGISTERED', 'HASH'], versionRows, p, '  '))
          out.line(line);
        out.line();
        out.line(`${p.dim('steps of')} ${latest.id}`);
        const stepRows = latest.graph.steps.map((s) => [
          s.id,
          s.kind,
          s.needs.join(', ') || p.dim('-'),
          [
            s.effect ? 'effect' : '',
            s.idempotent ? 'idempotent' : '',
            s.compensable ? 'compensable' : '',
            s.conditional ? 'when' : '',
          ]
            .filter(Boolean)
            .join(' '),
        ]);
        for (const line of table(['STEP', 'KIND', 'NEEDS', 'FLAGS'], stepRows, p, '  ')) out.line(line);
      });
    });

  workflows
    .command('diff')
    .description('what changed between two versions: steps added, removed and changed')
    .argument('<name>', 'workflow name')
    .argument('<from>', 'version number (1) or id (name@1)')
    .argument('<to>', 'version number (2) or id (name@2)')
    .action(async (name: string, from: string, to: string, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = processOutput(globals.json === true);
      const fromId = versionId(name, from, '<from>');
      const toId = versionId(name, to, '<to>');
      await withEngine(globals, out, async ({ baton }) => {
        const diff = await baton.diff(fromId, toId);
        out.data(diff);
        printDiff(diff, out);
      });
    });

  workflows
    .command('register')
    .description('register workflows from YAML or JSON spec files')
    .argument('<file...>', 'spec files')
    .action(async (files: string[], _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = processOutput(globals.json === true);
      const texts = files.map((f) => ({ file: f, text: readArgFile(f, 'spec') }));
      await withEngine(globals, out, async ({ baton }) => {
        const results = [];
        for (const { file, text } of texts) {
          const { version, created } = await registerTracked(baton, text);
          results.push({ file, version: version.id, label: version.label, created });
          const what = created ? out.paint.green('registered') : out.paint.dim('unchanged ');
          out.line(`${what} ${version.id} (${version.label})  ${out.paint.dim(basename(file))}`);
        }
        out.data(results);
      });
    });

  workflows
    .command('validate')
    .description('check a YAML or JSON spec without registering it (exit 2 when invalid)')
    .argument('<file>', 'spec file')
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = processOutput(globals.json === true);
      const text = readArgFile(file, 'spec');
      // Validation needs the config's functions but not the store: nothing is opened or written.
      const { config } = await loadConfig(globals.config);
      const def = compileSpec(parseSpecText(text), new Map(Object.entries(config.functions ?? {})));
      out.data({ valid: true, workflow: def.name, version: def.version, steps: def.steps.length });
      out.line(
        `${out.paint.green('OK')} ${def.name} ${out.paint.dim(`(${def.version}, ${def.steps.length} steps)`)}`,
      );
    });

  return workflows;
}

function printDiff(diff: VersionDiff, out: Output): void {
  const p = out.paint;
  out.line(`${p.bold(diff.from)} → ${p.bold(diff.to)}`);
  if (diff.added.length + diff.removed.length + diff.changed.length + diff.workflow.length === 0) {
    out.line(p.dim('  no changes'));
    return;
  }
  for (const id of diff.added) out.line(`  ${p.green(`+ ${id}`)}  added`);
  for (const id of diff.removed) out.line(`  ${p.red(`- ${id}`)}  removed`);
  for (const { stepId, changes } of diff.changed) {
    out.line(`  ${p.yellow(`~ ${stepId}`)}  changed`);
    for (const c of changes)
      out.line(
        `      ${c.field}: ${p.red(shortJson(c.from, 50) || '(none)')} → ${p.green(shortJson(c.to, 50) || '(none)')}`,
      );
  }
  if (diff.workflow.length > 0) {
    out.line(`  ${p.yellow('~ workflow')}`);
    for (const c of diff.workflow)
      out.line(
        `      ${c.field}: ${p.red(shortJson(c.from, 50) || '(none)')} → ${p.green(shortJson(c.to, 50) || '(none)')}`,
      );
  }
}
