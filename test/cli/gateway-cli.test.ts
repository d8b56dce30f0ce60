/**
 * `baton gateway` end to end: the real CLI serves the gateway on its defaults (offline model, first
 * key printed once), and manages keys and the request log.
 */
import { join } from 'node:path';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { request } from '../../src/gateway/ledger/conformance-harness.js';
import { DAY_MS } from '../../src/gateway/ledger/periods.js';
import { openSqliteLedger } from '../../src/gateway/ledger/sqlite-ledger.js';
import { cliJson, dataDir, eventually, start, withDeadline } from './cli-harness.js';

interface Listening {
  event: 'listening';
  url: string;
  offline: boolean;
  firstKey?: string;
  routes: Array<{ alias: string; targets: string[] }>;
}

describe('baton gateway', () => {
  it('serves the offline routes on a fresh data dir with a first key, then logs the calls', async () => {
    const server = start(['gateway', '--port', '0', '--json']);
    // With --json the only document printed while serving is the listening event.
    const listening = await eventually(() => {
      try {
        return JSON.parse(server.stdout()) as Listening;
      } catch {
        return undefined;
      }
    }, 'the gateway to listen');
    expect(listening.offline).toBe(true);
    expect(listening.routes.map((r) => r.alias)).toEqual(['fast', 'smart', 'router']);
    expect(listening.firstKey).toMatch(/^bvk_/);

    const client = new OpenAI({ apiKey: listening.firstKey, baseURL: listening.url, maxRetries: 0 });
    const answer = await client.chat.completions.create({
      model: 'fast',
      messages: [{ role: 'user', content: 'ping' }],
    });
    expect(answer.model).toBe('offline/fast');
    expect(answer.choices[0]?.message.content).toContain('ping');

    server.child.kill('SIGTERM');
    const stopped = await withDeadline(server.exited, 15_000, 'gateway shutdown');
    expect(stopped.code).toBe(0);

    const log = await cliJson<{ entries: Array<{ route: string; target: string; status: string }> }>(
      'gateway',
      'requests',
    );
    expect(log.entries).toHaveLength(1);
    expect(log.entries[0]).toMatchObject({ route: 'fast', target: 'offline/fast', status: 'ok' });
  });

  it('creates, lists and revokes keys, never showing a secret twice', async () => {
    const created = await cliJson<{ key: { id: string; prefix: string }; secret: string }>(
      'gateway',
      'keys',
      'create',
      '--tenant',
      'acme',
      '--models',
      'fast,smart',
      '--budget',
      'day:5',
      '--rpm',
      '60',
    );
    expect(created.secret.startsWith(created.key.prefix)).toBe(true);
    const listed = await cliJson<{ keys: Array<Record<string, unknown>> }>(
      'gateway',
      'keys',
      'list',
      '--tenant',
      'acme',
    );
    expect(listed.keys).toHaveLength(1);
    expect(listed.keys[0]).toMatchObject({
      tenant: 'acme',
      allowedModels: ['fast', 'smart'],
      budgets: [{ period: 'day', usd: 5 }],
      rateLimits: { requestsPerMinute: 60 },
    });
    expect(JSON.stringify(listed)).not.toContain(created.secret);
    const revoked = await cliJson<{ key: { revokedAt?: number } }>(
      'gateway',
      'keys',
      'revoke',
      created.key.id,
    );
    expect(revoked.key.revokedAt).toBeGreaterThan(0);
  });

  it('prunes request-log entries older than --older-than, else than the retention', async () => {
    const ledger = await openSqliteLedger({ path: join(dataDir, 'gateway.db') });
    await ledger.appendRequests([request('old', Date.now() - 2 * DAY_MS), request('new', Date.now())]);
    await ledger.close();

    expect(await cliJson('gateway', 'requests', 'prune', '--older-than', '1d')).toEqual({ deleted: 1 });
    // Without --older-than: the default retention (30 days) keeps the recent entry.
    expect(await cliJson('gateway', 'requests', 'prune')).toEqual({ deleted: 0 });
    const log = await cliJson<{ entries: Array<{ id: string }> }>('gateway', 'requests');
    expect(log.entries.map((e) => e.id)).toEqual(['new']);
  });
});
