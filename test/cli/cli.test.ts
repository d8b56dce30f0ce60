/**
 * The `baton` command end to end: each test spawns the real CLI against a fresh data directory and
 * the fixture config, and waits for conditions by polling with a deadline, never by sleeping blindly.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliJson, dataDir, eventually, fixtures, start, withDeadline } from './cli-harness.js';

type RunShow = { run: { id: string; status: string }; steps: { stepId: string; status: string }[] };

describe('baton CLI', () => {
  it('runs a plain workflow in-process, follows it and prints its output', async () => {
    const result = await cli('run', 'greet', '--input', '{"name":"ada"}');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/✓ hello/);
    expect(result.stdout).toMatch(/✓ shout/);
    expect(result.stdout).toMatch(/succeeded/);
    expect(result.stdout).toContain('"shout": "HELLO ADA"');
  });

  it('detaches, then a separate worker runs it after `approve`', async () => {
    const detached = await cli('run', 'expense', '--input', '{"amount":42}', '--detach');
    expect(detached.code, detached.stderr).toBe(0);
    const runId = detached.stdout.trim();
    expect(runId).toMatch(/\S+/);

    const worker = start(['worker']);
    await eventually(() => (worker.stdout().includes('started') ? true : undefined), 'the worker to start');
    await eventually(async () => {
      const show = await cliJson<RunShow>('runs', 'show', runId);
      return show.steps.find((s) => s.stepId === 'managerApproval')?.status === 'waiting' ? true : undefined;
    }, 'the approval step to wait');

    const shown = await cli('runs', 'show', runId);
    expect(shown.stdout).toContain('Approve an expense of 42?');
    expect(shown.stdout).toContain(`baton approve ${runId} managerApproval --approve`);

    const approved = await cli(
      'approve',
      runId,
      'managerApproval',
      '--approve',
      '--by',
      'tester',
      '--comment',
      'ok',
    );
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain('approved managerApproval');

    await eventually(async () => {
      const show = await cliJson<RunShow>('runs', 'show', runId);
      return show.run.status === 'succeeded' ? true : undefined;
    }, 'the run to succeed');
    const final = await cli('runs', 'show', runId);
    expect(final.stdout).toMatch(/status\s+succeeded/);

    worker.child.kill('SIGTERM');
    const stopped = await withDeadline(worker.exited, 15_000, 'worker shutdown');
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain('stopped');

    const history = await cli('history', runId);
    expect(history.stdout).toContain('approval-decided');
  });

  it('rejects bad JSON input with INVALID_ARGUMENT and creates no run', async () => {
    const result = await cli('run', 'greet', '--input', '{name: ada}');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error INVALID_ARGUMENT: could not parse --input as JSON');
    expect(result.stderr).toContain('hint:');
    expect(result.stderr).not.toMatch(/\n\s+at /);

    const missing = await cli('run', 'greet', '--input', '@does-not-exist.json');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read --input file does-not-exist.json: no such file');

    const invalid = await cli('run', 'greet', '--input', '{"name":""}');
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('error INVALID_INPUT');
    expect(invalid.stderr).toMatch(/\n\s+name\s+too_small/);

    const list = await cliJson<{ runs: unknown[] }>('runs', 'list');
    expect(list.runs).toEqual([]);
  });

  it('reports an unknown workflow with WORKFLOW_NOT_FOUND', async () => {
    const result = await cli('run', 'nope', '--input', '{}');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error WORKFLOW_NOT_FOUND');
    expect(result.stderr).toContain('greet');
  });

  it('refuses to approve a step that is not waiting, and usage errors exit 2', async () => {
    const detached = await cli('run', 'expense', '--input', '{"amount":5}', '--detach');
    const runId = detached.stdout.trim();

    const notWaiting = await cli('approve', runId, 'managerApproval', '--approve');
    expect(notWaiting.code).toBe(2);
    expect(notWaiting.stderr).toContain('error RUN_NOT_WAITING');

    const both = await cli('approve', runId, 'managerApproval', '--approve', '--reject');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('exactly one of --approve or --reject');

    const unknownOption = await cli('runs', 'list', '--bogus');
    expect(unknownOption.code).toBe(2);

    const json = await cli('approve', 'no-such-run', 'x', '--reject', '--json');
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stderr).error.code).toBe('RUN_NOT_FOUND');
  });

  it('validates spec files: OK, or every issue and exit 2', async () => {
    const ok = await cli('workflows', 'validate', join(fixtures, 'double.yaml'));
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^OK double/);

    const bad = await cli('workflows', 'validate', join(fixtures, 'bad-spec.yaml'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error INVALID_SPEC');
    const issueLines = bad.stderr.split('\n').filter((l) => l.startsWith('  '));
    expect(issueLines.length).toBeGreaterThanOrEqual(2);
  });

  it('registers a new spec version and diffs it', async () => {
    const changed = join(dataDir, 'double-v2.yaml');
    writeFileSync(
      changed,
      [
        'name: double',
        'version: "2"',
        'input: { type: object, required: [value], properties: { value: { type: number } } }',
        'steps:',
        '  - { id: twice, kind: fn, fn: double, input: "$input" }',
        '  - { id: again, kind: fn, fn: double, needs: [twice], input: "$steps.twice" }',
      ].join('\n'),
    );
    const registered = await cli('workflows', 'register', changed);
    expect(registered.code, registered.stderr).toBe(0);
    expect(registered.stdout).toContain('registered double@2');

    const diff = await cli('workflows', 'diff', 'double', '1', 'double@2');
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toContain('+ again');

    const list = await cli('workflows', 'list');
    expect(list.stdout).toMatch(/double\s+double@2\s+2\s+2/);
  });

  it('prunes finished runs', async () => {
    expect((await cli('run', 'greet', '--input', '{"name":"bo"}')).code).toBe(0);
    const pruned = await cli('runs', 'prune', '--older-than', '0s');
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toContain('removed 1 run');
    expect((await cliJson<{ runs: unknown[] }>('runs', 'list')).runs).toEqual([]);
  });

  it('sends an event that wakes a run followed live', async () => {
    const run = start(['run', 'order', '--input', '{"id":"a1"}']);
    await eventually(
      () => (run.stdout().includes('waiting for event "shipped-a1"') ? true : undefined),
      'the run to wait',
    );

    const sent = await cli('events', 'send', 'shipped-a1', '{"carrier":"ups"}');
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toContain('1 run woke');

    const done = await withDeadline(run.exited, 20_000, 'the followed run');
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain('received event "shipped-a1"');
    expect(done.stdout).toContain('"carrier": "ups"');
  });

  it('works through bin/baton.js', async () => {
    const started = start(['workflows', 'list'], ['bin/baton.js']);
    const result = await withDeadline(started.exited, 30_000, 'bin/baton.js');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/expense\s+expense@1/);
  });
});
