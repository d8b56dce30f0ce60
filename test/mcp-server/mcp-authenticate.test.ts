/**
 * One server for many callers: with `authenticate`, each request's identity comes from the token its
 * transport carries, so the tool list and the access checks follow the request, not the connection.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createBatonMcpServer } from '../../src/mcp-server/baton-mcp-server.js';
import { Baton } from '../../src/runtime/baton.js';
import { tempDir } from '../temp-dir.js';
import { greet } from './fixtures/baton.config.js';
import { fails, ok, toolNames } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The client side of an in-memory pair, sending whatever token `token()` says with each message. */
function withToken(inner: InMemoryTransport, token: () => string | undefined): Transport {
  const transport: Transport = {
    start: () => inner.start(),
    close: () => inner.close(),
    send: (message: JSONRPCMessage, options?: TransportSendOptions) => {
      const value = token();
      return inner.send(message, {
        ...options,
        ...(value === undefined ? {} : { authInfo: { token: value, clientId: 'test', scopes: [] } }),
      });
    },
  };
  inner.onmessage = (m) => transport.onmessage?.(m);
  inner.onclose = () => transport.onclose?.();
  inner.onerror = (e) => transport.onerror?.(e);
  return transport;
}

describe('createBatonMcpServer with authenticate', () => {
  it('resolves the caller per request', async () => {
    const temp = tempDir('baton-mcp-auth-');
    cleanups.push(temp.cleanup);
    const baton = await Baton.open({ dataDir: temp.dir, durability: 'normal' });
    cleanups.push(() => baton.close());
    await baton.register(greet);

    const server = await createBatonMcpServer(baton, {
      authenticate: (token) =>
        token === 'dev'
          ? { subject: 'dan', tenant: 'acme', roles: ['developer'] }
          : token === 'viewer'
            ? { subject: 'vera', tenant: 'acme', roles: ['viewer'] }
            : undefined,
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    let token: string | undefined = 'dev';
    await server.connect(serverSide);
    const client = new Client({ name: 'shared-host', version: '1.0.0' });
    await client.connect(withToken(clientSide, () => token));
    cleanups.push(() => client.close());

    expect(await toolNames(client)).toContain('start_greet');
    const { runId } = await ok<{ runId: string }>(client, 'start_greet', { name: 'Ada' });
    token = 'viewer';
    expect(await toolNames(client)).toEqual(['get_run', 'list_approvals', 'list_workflows']);
    expect((await fails(client, 'start_greet', { name: 'Ada' })).code).toBe('FORBIDDEN');
    expect(await ok(client, 'get_run', { run_id: runId })).toMatchObject({ runId });
    token = undefined;
    expect(await toolNames(client)).toEqual([]);
    expect((await fails(client, 'get_run', { run_id: runId })).code).toBe('UNAUTHENTICATED');
  });
});
