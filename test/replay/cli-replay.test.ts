/**
 * `baton runs replay|fork` through the real CLI, on a fresh data directory.
 */
import { describe, expect, it } from 'vitest';
import type { Run } from '../../src/core/types.js';
import type { ReplayReport } from '../../src/runtime/replay/index.js';
import { cli, cliJson } from '../cli/cli-harness.js';

describe('baton runs replay|fork', () => {
  it('replays a run (exit 0, every step the same), forks it from a step, and refuses an unknown step', async () => {
    const run = await cliJson<Run>('run', 'greet', '--input', '{"name":"ada"}');
    expect(run.status).toBe('succeeded');

    const report = await cliJson<ReplayReport>('runs', 'replay', run.id);
    expect(report.steps.map((s) => [s.stepId, s.status])).toEqual([
      ['hello', 'same'],
      ['shout', 'same'],
    ]);
    const human = await cli('runs', 'replay', run.id);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('2 same; 0 model calls, 0 effects');

    const fork = await cliJson<{ run: Run; reused: string[] }>(
      'runs',
      'fork',
      run.id,
      '--from',
      'shout',
      '--input',
      '{"name":"bob"}',
    );
    expect(fork.reused).toEqual(['hello']);
    expect(fork.run).toMatchObject({ status: 'succeeded', output: { shout: 'HELLO ADA' } });
    expect(fork.run.tags).toEqual([`forked-from:${run.id}@shout`]);

    const unknown = await cli('runs', 'fork', run.id, '--from', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('STEP_NOT_FOUND');
  });
});
