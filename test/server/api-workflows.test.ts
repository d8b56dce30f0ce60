import { describe, expect, it } from 'vitest';
import type { WorkflowVersion } from '../../src/core/types.js';
import { useApiHarness } from './api-harness.js';

const open = useApiHarness();

const GREET_V1 = `
name: greet
version: '1'
input: { type: object }
steps:
  - id: hello
    kind: fn
    fn: echo
`;
const GREET_V2 = `${GREET_V1}  - id: bye
    kind: fn
    fn: echo
    needs: [hello]
`;

const yaml = (text: string) => ({ body: text, headers: { 'content-type': 'text/yaml' } });

describe('workflows API', () => {
  it('registers YAML and JSON specs, lists them and gets their versions', async () => {
    const h = await open({ worker: false });
    const key = await h.keyFor('developer');
    const v1 = await h.json<{ version: WorkflowVersion }>('POST', '/v1/workflows', {
      key,
      ...yaml(GREET_V1),
    });
    expect(v1).toMatchObject({ status: 201, body: { version: { id: 'greet@1', workflow: 'greet' } } });
    const same = await h.json<{ version: WorkflowVersion }>('POST', '/v1/workflows', {
      key,
      ...yaml(GREET_V1),
    });
    expect(same.body.version.id).toBe('greet@1');
    const json = {
      name: 'greet',
      version: '2',
      input: { type: 'object' },
      steps: [
        { id: 'hello', kind: 'fn', fn: 'echo' },
        { id: 'bye', kind: 'fn', fn: 'echo', needs: ['hello'] },
      ],
    };
    const v2 = await h.json<{ version: WorkflowVersion }>('POST', '/v1/workflows', { key, body: json });
    expect(v2.body.version.id).toBe('greet@2');

    const list = await h.json<{ data: { workflow: string; versions: number }[] }>('GET', '/v1/workflows', {
      key,
    });
    expect(list.body.data.find((w) => w.workflow === 'greet')).toMatchObject({ versions: 2 });
    const got = await h.json<{ versions: WorkflowVersion[] }>('GET', '/v1/workflows/greet', { key });
    expect(got.body.versions.map((v) => v.id)).toEqual(['greet@1', 'greet@2']);
    expect((await h.json('GET', '/v1/workflows/nope', { key })).status).toBe(404);

    const diff = await h.json('GET', '/v1/workflows/greet/diff?from=1&to=greet@2', { key });
    expect(diff.status).toBe(200);
    expect(JSON.stringify(diff.body)).toContain('bye');
    const foreign = await h.json('GET', '/v1/workflows/greet/diff?from=echo@1&to=2', { key });
    expect(foreign).toMatchObject({ status: 404, body: { error: { code: 'VERSION_NOT_FOUND' } } });

    const audit = await h.control.listAudit({ tenant: 'acme', action: 'workflow.register' });
    expect(audit.map((e) => e.target).sort()).toEqual(['greet@1', 'greet@1', 'greet@2']);
    expect(GREET_V2).toContain('bye');
  });

  it('answers a bad YAML spec with 422 INVALID_SPEC and the paths of its issues', async () => {
    const h = await open({ worker: false });
    const key = await h.keyFor('developer');
    const bad = `
name: broken
version: '1'
steps:
  - id: a
    kind: fn
    fn: echo
    needs: [missing]
  - id: b
    kind: teleport
`;
    const res = await h.json<{ error: { code: string; details: { issues: { path: string }[] } } }>(
      'POST',
      '/v1/workflows',
      { key, ...yaml(bad) },
    );
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('INVALID_SPEC');
    const paths = res.body.error.details.issues.map((i) => i.path);
    expect(paths.some((p) => p.startsWith('steps[0].needs'))).toBe(true);
    expect(paths.some((p) => p.startsWith('steps[1]'))).toBe(true);
    const unparsable = await h.json('POST', '/v1/workflows', { key, ...yaml('name: [unclosed') });
    expect(unparsable).toMatchObject({ status: 422, body: { error: { code: 'INVALID_SPEC' } } });
    expect(
      (await h.json<{ data: { workflow: string }[] }>('GET', '/v1/workflows', { key })).body.data.map(
        (w) => w.workflow,
      ),
    ).not.toContain('broken');
  });

  it('validates without registering', async () => {
    const h = await open({ worker: false });
    const key = await h.keyFor('developer');
    const ok = await h.json('POST', '/v1/workflows/validate', { key, ...yaml(GREET_V2) });
    expect(ok).toMatchObject({
      status: 200,
      body: { valid: true, workflow: 'greet', steps: ['hello', 'bye'] },
    });
    expect((await h.json('GET', '/v1/workflows/greet', { key })).status).toBe(404);
    const bad = await h.json('POST', '/v1/workflows/validate', { key, body: { name: 'x', steps: 'none' } });
    expect(bad).toMatchObject({ status: 422, body: { error: { code: 'INVALID_SPEC' } } });
    const notObject = await h.json('POST', '/v1/workflows/validate', { key, body: [1, 2] });
    expect(notObject.status).toBe(400);
  });

  it('lets viewers read but not register', async () => {
    const h = await open({ worker: false });
    const key = await h.keyFor('viewer');
    expect((await h.json('GET', '/v1/workflows', { key })).status).toBe(200);
    expect((await h.json('POST', '/v1/workflows', { key, ...yaml(GREET_V1) })).status).toBe(403);
  });
});
