/**
 * API benchmark: run submissions accepted per second and the latency of `POST /v1/runs` over a real
 * socket, with autocannon as the load generator in this process and the server (SQLite,
 * synchronous=FULL) in its own. Each request submits a run with its own idempotency key, as a client
 * that retries safely would. Phases: without a worker (pure acceptance), then with a worker running
 * the submitted runs in the server's process (as `baton dev` does).
 *
 *   npx tsx bench/api.ts                                # 20 s per phase, 32 connections
 *   npx tsx bench/api.ts --seconds 5 --connections 8
 *   npx tsx bench/api.ts --only accept                  # accept | with-worker
 *
 * Prints one figure per line as `name value unit`.
 */
import autocannon from 'autocannon';
import { flag, listFlag, print } from './common.js';
import { type ChildRuntime, startChild, stopChildren } from './gateway-children.js';

const seconds = Number(flag('seconds') ?? 20);
const connections = Number(flag('connections') ?? 32);
const runtime = (flag('runtime') ?? 'bundle') as ChildRuntime;
const only = listFlag('only');
const phases = [
  { name: 'accept', args: [] as string[] },
  { name: 'with-worker', args: ['--worker'] },
].filter((p) => only.length === 0 || only.includes(p.name));

try {
  for (const phase of phases) {
    const server = await startChild<{ url: string; secret: string }>('./api-server.ts', phase.args, runtime);
    let n = 0;
    const result = await autocannon({
      url: `${server.ready.url}/v1/runs`,
      method: 'POST',
      connections,
      duration: seconds,
      headers: { authorization: `Bearer ${server.ready.secret}`, 'content-type': 'application/json' },
      requests: [
        {
          setupRequest: (request: Record<string, unknown>) => {
            n += 1;
            return {
              ...request,
              headers: { ...(request.headers as object), 'idempotency-key': `bench-${n}` },
              body: JSON.stringify({ workflow: 'bench-order', input: { order: `o-${n}`, amount: n } }),
            };
          },
        },
      ],
    });
    await server.stop();
    const accepted = result['2xx'];
    console.log(
      `# ${phase.name}: ${seconds} s, ${connections} connections, ${result.requests.total} requests`,
    );
    print(`api_${phase.name}_accepted_per_s`, accepted / seconds, 'runs/s');
    print(`api_${phase.name}_latency_p50`, result.latency.p50, 'ms');
    print(`api_${phase.name}_latency_p99`, result.latency.p99, 'ms');
    print(`api_${phase.name}_non_2xx`, result.non2xx, 'responses');
    print(`api_${phase.name}_errors`, result.errors + result.timeouts, 'errors');
  }
} finally {
  stopChildren();
}
