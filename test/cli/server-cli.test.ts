/**
 * `baton dev`, `baton server` and `baton keys` through the real CLI: a fresh store gets a first admin
 * key, printed once; the API it prints answers with it; runs submitted over HTTP are run by the
 * worker of `baton dev`; keys are created, listed and revoked from the command line.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_DIR } from '../../src/server/app/dashboard.js';
import { cli, cliJson, eventually, root, start, withDeadline } from './cli-harness.js';

interface Listening {
  event: 'listening';
  url: string;
  worker: boolean;
  dashboard?: string;
  firstKey?: { prefix: string; tenant: string; secret: string };
}

async function listening(server: ReturnType<typeof start>): Promise<Listening> {
  return eventually(() => {
    try {
      return JSON.parse(server.stdout()) as Listening;
    } catch {
      return undefined;
    }
  }, 'the server to listen');
}

describe('baton dev and baton server', () => {
  it('serves the API with a first admin key, runs what is submitted, and prints no key on the next start', async () => {
    const dev = start(['dev', '--port', '0', '--json']);
    const first = await listening(dev);
    expect(first.worker).toBe(true);
    expect(first.dashboard).toBe(existsSync(join(DASHBOARD_DIR, 'index.html')) ? `${first.url}/` : undefined);
    expect(first.firstKey?.tenant).toBe('default');
    const secret = first.firstKey?.secret ?? '';
    expect(secret).toMatch(/^bk_/);
    const auth = { authorization: `Bearer ${secret}` };

    const workflows = (await (await fetch(`${first.url}/v1/workflows`, { headers: auth })).json()) as {
      data: { workflow: string }[];
    };
    expect(workflows.data.map((w) => w.workflow)).toContain('greet');
    expect((await fetch(`${first.url}/v1/workflows`)).status).toBe(401);

    const submitted = await fetch(`${first.url}/v1/runs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ workflow: 'greet', input: { name: 'Ada' } }),
    });
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as { id: string };
    const done = await eventually(async () => {
      const run = (await (await fetch(`${first.url}/v1/runs/${id}`, { headers: auth })).json()) as {
        status: string;
      };
      return run.status === 'succeeded' ? run : undefined;
    }, 'the run to succeed');
    expect(done.status).toBe('succeeded');

    dev.child.kill('SIGTERM');
    expect((await withDeadline(dev.exited, 15_000, 'dev shutdown')).code).toBe(0);

    // The store has a key now: the server prints none, and the first key still works.
    const server = start(['server', '--port', '0', '--json', '--no-services']);
    const second = await listening(server);
    expect(second.firstKey).toBeUndefined();
    expect(second.worker).toBe(false);
    expect((await fetch(`${second.url}/v1/runs/${id}`, { headers: auth })).status).toBe(200);
    server.child.kill('SIGTERM');
    expect((await withDeadline(server.exited, 15_000, 'server shutdown')).code).toBe(0);
  });

  it('prints the dashboard address, and a one-click sign-in address with the first key', async () => {
    const built = existsSync(join(DASHBOARD_DIR, 'index.html'));
    const dev = start(['dev', '--port', '0']);
    const stdout = await eventually(
      () => (dev.stdout().includes('Ctrl-C') ? dev.stdout() : undefined),
      'the banner',
    );
    const url = /API on (http:\/\/\S+)/.exec(stdout)?.[1];
    const secret = /^ {2}(bk_\S+)$/m.exec(stdout)?.[1];
    expect(url).toBeDefined();
    expect(secret).toBeDefined();
    if (built) {
      expect(stdout).toContain(`  Dashboard      ${url}/\n`);
      expect(stdout).toContain(`${url}/#key=${secret}`);
      const page = await fetch(`${url}/`, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
    } else {
      // Without web/dist (`npm run build:web`) there is no dashboard to point at.
      expect(stdout).not.toContain('Dashboard');
    }
    dev.child.kill('SIGTERM');
    expect((await withDeadline(dev.exited, 15_000, 'dev shutdown')).code).toBe(0);
  });

  it('creates, lists and revokes API keys; the secret is shown only by create', async () => {
    const created = await cliJson<{ key: { id: string; prefix: string; roles: string[] }; secret: string }>(
      'keys',
      'create',
      '--tenant',
      'acme',
      '--role',
      'viewer',
      '--role',
      'approver',
    );
    expect(created.secret).toMatch(/^bk_/);
    expect(created.key.roles).toEqual(['viewer', 'approver']);
    const listed = await cli('keys', 'list', '--tenant', 'acme', '--json');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(created.key.prefix);
    expect(listed.stdout).not.toContain(created.secret);

    const wrongTenant = await cli('keys', 'revoke', created.key.id, '--tenant', 'globex');
    expect(wrongTenant.code).not.toBe(0);
    expect(wrongTenant.stderr).toContain('INVALID_ARGUMENT');
    const revoked = await cliJson<{ key: { revokedAt?: number } }>(
      'keys',
      'revoke',
      created.key.id,
      '--tenant',
      'acme',
    );
    expect(revoked.key.revokedAt).toBeGreaterThan(0);

    const missingRole = await cli('keys', 'create', '--tenant', 'acme');
    expect(missingRole.code).not.toBe(0);
  });

  it("puts the breakers of the config's tools in /metrics beside the gateway's", async () => {
    const agents = join(root, 'examples/agents/baton.config.ts');
    const dev = start(['--config', agents, 'dev', '--port', '0', '--json', '--demo']);
    const { url } = await listening(dev);
    // The demo's agents call their tools; a tool shows once the audit trail names it.
    const text = await eventually(
      async () => {
        const body = await (await fetch(`${url}/metrics`)).text();
        return /baton_circuit_breaker_state\{kind="tool",name="[^"]+",state="closed"\} 1/.test(body)
          ? body
          : undefined;
      },
      'a tool breaker in /metrics',
      60_000,
    );
    expect(text).toMatch(/baton_circuit_breaker_state\{kind="model",name="[^"]+",state="closed"\} 1/);
    dev.child.kill('SIGTERM');
    expect((await withDeadline(dev.exited, 15_000, 'dev shutdown')).code).toBe(0);
  });
});
