/**
 * Gateway overhead benchmark: the latency the gateway adds over calling its upstream directly, with
 * every policy on (key auth, key and tenant rate limits, key and tenant budgets, PII masking, request
 * log with bodies). The fake OpenAI upstream, the gateway and this load generator each run in their
 * own process, so none of them shares an event loop with another.
 *
 * Phases: warm-up; concurrency 1, direct and through the gateway alternately (p50, p99, added);
 * the same for streams (time to first content, added); then an open loop at a steady rate, first
 * direct then through the gateway (p50, p99, added, errors, the gateway's peak RSS, achieved rate).
 * Prints one figure per line as `name value unit`, then a table of figures against the targets.
 *
 *   npx tsx bench/gateway.ts                            # the full run: 30 s at 1,000 requests/s
 *   npx tsx bench/gateway.ts --seconds 3 --rps 200      # a smoke run
 *   npx tsx bench/gateway.ts --only c1,stream --samples 500
 *
 * Flags: `--seconds` (open loop, default 30), `--rps` (default 1000), `--samples` (calls per side
 * at concurrency 1, default 2000), `--warmup` (default 1000), `--only floor|c1|stream|steady` (a list),
 * `--runtime bundle|tsx` (how the children run; default `bundle`: bundled by esbuild and run on
 * plain node, as a built gateway runs, without the tsx loader's thread and memory), `--cpu-prof DIR`
 * (writes a CPU profile of the gateway process to DIR when it exits; `BENCH_GW_NODE_FLAGS='--trace-gc'`
 * passes other flags to the gateway's node), `--token-gap-ms N` (the fake
 * model's pause between streamed chunks, default 0: the whole answer at once, the gateway's worst
 * case for time to first token; a gap makes each streamed call last 80 × N ms).
 */
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { flag, formatFigure, listFlag, print, sleep } from './common.js';
import {
  type Child,
  type ChildRuntime,
  cpuSecondsOf,
  memoryOf,
  sampleRss,
  startChild,
  stopChildren,
} from './gateway-children.js';
import {
  achievedRate,
  alternating,
  chat,
  chatAnswer,
  chatStream,
  closedLoop,
  type Endpoint,
  type OpenLoopResult,
  openLoop,
  poolFor,
  type Spread,
  spread,
} from './gateway-load.js';
import { ANSWER_TEXT, chatBody } from './gateway-request.js';
import type { UpstreamStats } from './gateway-upstream.js';

const seconds = Number(flag('seconds') ?? 30);
const rps = Number(flag('rps') ?? 1000);
const samples = Number(flag('samples') ?? 2000);
const warmup = Number(flag('warmup') ?? 1000);
const only = listFlag('only');
const runtime = (flag('runtime') ?? 'bundle') as ChildRuntime;
const profileDir = flag('cpu-prof');
const tokenGapMs = Number(flag('token-gap-ms') ?? 0);
const wants = (phase: 'floor' | 'c1' | 'stream' | 'steady') => only.length === 0 || only.includes(phase);

function usageError(message: string): never {
  console.error(`bench/gateway.ts: ${message}`);
  process.exit(2);
}
for (const [name, value] of Object.entries({ seconds, rps, samples, warmup })) {
  if (!Number.isFinite(value) || value <= 0) usageError(`--${name} must be a positive number`);
}
if (!Number.isFinite(tokenGapMs) || tokenGapMs < 0) usageError('--token-gap-ms must be 0 or more');
if (runtime !== 'bundle' && runtime !== 'tsx') usageError('--runtime takes bundle or tsx');
for (const phase of only) {
  if (!['floor', 'c1', 'stream', 'steady'].includes(phase))
    usageError(`--only takes floor, c1, stream or steady (comma-separated), not ${phase}`);
}

/** One line of the final table: a figure against its target, or a pair of figures for context. */
type Row =
  | { figure: string; value: number; unit: string; target?: { max?: number; min?: number } }
  | { figure: string; text: string };
const rows: Row[] = [];

/** A context row: `p50 / p99`. */
function pair(figure: string, s: Spread): Row {
  return { figure, text: `${fmt(s.p50)} / ${fmt(s.p99)} ms` };
}

function added(name: string, direct: Spread, gateway: Spread, unit: string): void {
  for (const [label, s] of [
    ['direct', direct],
    ['gateway', gateway],
  ] as const) {
    print(`${name}_${label}_p50`, s.p50, unit);
    print(`${name}_${label}_p99`, s.p99, unit);
    print(`${name}_${label}_max`, s.max, unit);
  }
  print(`${name}_added_p50`, gateway.p50 - direct.p50, unit);
  print(`${name}_added_p99`, gateway.p99 - direct.p99, unit);
}

/** The median of pairwise differences: less sensitive to drift than a difference of medians. */
function pairedMedian(gateway: number[], direct: number[]): number {
  const diffs = gateway.map((g, i) => g - (direct[i] ?? Number.NaN)).sort((x, y) => x - y);
  return diffs[Math.floor(diffs.length / 2)] ?? Number.NaN;
}

async function concurrencyOne(direct: Endpoint, gateway: Endpoint, gatewayPid: number): Promise<void> {
  const cpu = cpuSecondsOf(gatewayPid);
  const runs = await alternating(
    samples,
    () => chat(direct),
    () => chat(gateway),
  );
  const cpuMs = ((cpuSecondsOf(gatewayPid) - cpu) * 1000) / samples;
  const paired = pairedMedian(runs.b, runs.a);
  const d = spread(runs.a);
  const g = spread(runs.b);
  added('c1', d, g, 'ms');
  print('c1_added_paired_median', paired, 'ms');
  print('c1_gateway_cpu_per_call', cpuMs, 'ms');
  rows.push(
    pair('c=1 direct p50 / p99', d),
    pair('c=1 gateway p50 / p99', g),
    { figure: 'c=1 added p50', value: g.p50 - d.p50, unit: 'ms', target: { max: 0.3 } },
    { figure: 'c=1 added p99', value: g.p99 - d.p99, unit: 'ms' },
    { figure: 'c=1 gateway CPU per call', value: cpuMs, unit: 'ms' },
  );
}

/**
 * What a do-nothing proxy on the gateway's own stack (Hono, @hono/node-server, undici) adds at
 * concurrency 1: the part of the added latency that is the extra hop on this machine, not Baton.
 */
async function floor(direct: Endpoint, upstreamUrl: string): Promise<void> {
  const child = await startChild<{ url: string }>('./gateway-floor-server.ts', [upstreamUrl], runtime);
  const pool = poolFor(child.ready.url);
  try {
    const proxy: Endpoint = {
      ...direct,
      name: 'floor',
      pool,
      body: chatBody('fast', false),
      streamBody: chatBody('fast', true),
    };
    await closedLoop(() => chat(proxy), warmup, 4);
    const runs = await alternating(
      samples,
      () => chat(direct),
      () => chat(proxy),
    );
    const d = spread(runs.a);
    const f = spread(runs.b);
    print('floor_c1_added_p50', f.p50 - d.p50, 'ms');
    print('floor_c1_added_p99', f.p99 - d.p99, 'ms');
    rows.push({ figure: 'c=1 added p50, do-nothing proxy', value: f.p50 - d.p50, unit: 'ms' });
  } finally {
    await pool.close();
    await child.stop();
  }
}

async function streaming(direct: Endpoint, gateway: Endpoint): Promise<void> {
  const runs = await alternating(
    samples,
    () => chatStream(direct),
    () => chatStream(gateway),
  );
  const ttft = (side: typeof runs.a) => side.map((r) => r.ttftMs);
  const paired = pairedMedian(ttft(runs.b), ttft(runs.a));
  const d = spread(ttft(runs.a));
  const g = spread(ttft(runs.b));
  added('stream_ttft', d, g, 'ms');
  print('stream_ttft_added_paired_median', paired, 'ms');
  const whole = { d: spread(runs.a.map((r) => r.totalMs)), g: spread(runs.b.map((r) => r.totalMs)) };
  print('stream_headers_direct_p50', spread(runs.a.map((r) => r.headersMs)).p50, 'ms');
  print('stream_headers_gateway_p50', spread(runs.b.map((r) => r.headersMs)).p50, 'ms');
  print('stream_total_direct_p50', whole.d.p50, 'ms');
  print('stream_total_gateway_p50', whole.g.p50, 'ms');
  rows.push(
    pair('stream TTFT direct p50 / p99', d),
    pair('stream TTFT gateway p50 / p99', g),
    { figure: 'stream TTFT added p50', value: g.p50 - d.p50, unit: 'ms', target: { max: 1 } },
    { figure: 'stream TTFT added p99', value: g.p99 - d.p99, unit: 'ms' },
    { figure: 'stream whole answer added p50', value: whole.g.p50 - whole.d.p50, unit: 'ms' },
  );
}

function errorCount(result: OpenLoopResult): number {
  let n = 0;
  for (const count of result.errors.values()) n += count;
  return n;
}

function reportOpenLoop(name: string, result: OpenLoopResult): Spread {
  const s = spread(result.latencies);
  const lag = spread(result.lags);
  print(`${name}_achieved_rate`, achievedRate(result), 'requests/s');
  print(`${name}_ok`, result.ok, 'requests');
  print(`${name}_errors`, errorCount(result), 'requests');
  for (const [kind, count] of result.errors) console.log(`  ${name} error x${count}: ${kind}`);
  print(`${name}_sender_lag_p99`, lag.p99, 'ms');
  return s;
}

async function steady(direct: Endpoint, gateway: Endpoint, pids: { gateway: number; upstream: number }) {
  let cpu = cpuSecondsOf(pids.upstream);
  const d = await openLoop(() => chat(direct), rps, seconds);
  const upstreamCpuMs = ((cpuSecondsOf(pids.upstream) - cpu) * 1000) / d.sent;
  const ds = reportOpenLoop('steady_direct', d);
  await sleep(1000);
  const rss = sampleRss(pids.gateway);
  cpu = cpuSecondsOf(pids.gateway);
  const ownCpu = process.cpuUsage();
  const g = await openLoop(() => chat(gateway), rps, seconds);
  const gatewayCpuMs = ((cpuSecondsOf(pids.gateway) - cpu) * 1000) / g.sent;
  const own = process.cpuUsage(ownCpu);
  const sampledPeak = rss.stop();
  const peak = memoryOf(pids.gateway).peakMb;
  const gs = reportOpenLoop('steady_gateway', g);
  // CPU per call shows whether a miss is the gateway's own cost or the machine being saturated.
  print('steady_upstream_cpu_per_call', upstreamCpuMs, 'ms');
  print('steady_gateway_cpu_per_call', gatewayCpuMs, 'ms');
  print('steady_gateway_cpu_busy', (gatewayCpuMs * achievedRate(g)) / 10, '% of a core');
  print('steady_load_generator_cpu_per_call', (own.user + own.system) / 1000 / g.sent, 'ms');
  added('steady', ds, gs, 'ms');
  print('steady_gateway_rss_sampled_peak', sampledPeak, 'MB');
  print('steady_gateway_rss_high_water', peak, 'MB');
  const errors = errorCount(d) + errorCount(g);
  rows.push(
    pair(`${rps} rps direct p50 / p99`, ds),
    pair(`${rps} rps gateway p50 / p99`, gs),
    { figure: `${rps} rps added p50`, value: gs.p50 - ds.p50, unit: 'ms' },
    { figure: `${rps} rps added p99`, value: gs.p99 - ds.p99, unit: 'ms', target: { max: 3 } },
    { figure: `${rps} rps errors (both runs)`, value: errors, unit: 'requests', target: { max: 0 } },
    { figure: `${rps} rps gateway peak RSS`, value: peak, unit: 'MB', target: { max: 200 } },
    { figure: `${rps} rps gateway CPU per call`, value: gatewayCpuMs, unit: 'ms' },
    {
      figure: `${rps} rps achieved via gateway`,
      value: achievedRate(g),
      unit: 'requests/s',
      target: { min: rps * 0.99 },
    },
  );
}

/** One call each way, checked, so that a broken setup fails here and not as a fast benchmark. */
async function sanityCheck(direct: Endpoint, gateway: Endpoint, upstream: Child<unknown>): Promise<void> {
  const before = (await upstream.ask({ stats: true }, 'stats')) as UpstreamStats;
  for (const endpoint of [direct, gateway]) {
    const answer = await chatAnswer(endpoint);
    if (answer.status !== 200 || answer.content !== ANSWER_TEXT)
      throw new Error(`${endpoint.name} answered ${answer.status}: ${answer.content.slice(0, 200)}`);
    const streamed = await chatStream(endpoint);
    if (streamed.content !== ANSWER_TEXT)
      throw new Error(`${endpoint.name} streamed: ${streamed.content.slice(0, 200)}`);
  }
  const after = (await upstream.ask({ stats: true }, 'stats')) as UpstreamStats;
  if (after.masked - before.masked !== 2 || after.raw - before.raw !== 2)
    throw new Error(
      `the upstream should have seen 2 masked and 2 raw requests, saw ${after.masked - before.masked} and ${after.raw - before.raw}`,
    );
}

function fmt(value: number): string {
  return Number.isNaN(value) ? 'n/a' : formatFigure(value);
}

function printTable(): void {
  const line = (cols: string[]) =>
    console.log(
      `${(cols[0] ?? '').padEnd(34)} ${(cols[1] ?? '').padStart(22)}  ${(cols[2] ?? '').padEnd(16)} ${cols[3] ?? ''}`,
    );
  console.log('');
  line(['figure', 'measured', 'target', 'verdict']);
  line(['-'.repeat(34), '-'.repeat(22), '-'.repeat(16), '-------']);
  for (const row of rows) {
    if ('text' in row) {
      line([row.figure, row.text, '', '']);
      continue;
    }
    const measured = `${fmt(row.value)} ${row.unit}`;
    const t = row.target;
    if (!t) {
      line([row.figure, measured, '', '']);
      continue;
    }
    const target =
      t.max !== undefined ? `≤ ${formatFigure(t.max)} ${row.unit}` : `≥ ${formatFigure(t.min ?? 0)}`;
    const missed = (t.max !== undefined && row.value > t.max) || (t.min !== undefined && row.value < t.min);
    line([row.figure, measured, target, Number.isNaN(row.value) ? 'n/a' : missed ? 'missed' : 'met']);
  }
}

async function main(): Promise<void> {
  console.log(`machine ${availableParallelism()} cpus, ${cpus()[0]?.model ?? 'unknown cpu'}`);
  console.log(`machine ${Math.round(totalmem() / 2 ** 30)} GB memory, node ${process.version}`);
  console.log(
    `machine load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (1, 5, 15 min)`,
  );
  console.log(
    `settings ${seconds} s at ${rps} requests/s, ${samples} samples at c=1, ${warmup} warm-up, ${tokenGapMs} ms between streamed chunks, children run from ${runtime === 'bundle' ? 'an esbuild bundle on plain node' : 'TypeScript under tsx'}`,
  );

  const upstream = await startChild<{ url: string }>('./gateway-upstream.ts', [String(tokenGapMs)], runtime);
  let gatewayChild: Child<{ url: string; secret: string }> | undefined;
  const upstreamPool = poolFor(upstream.ready.url);
  let gatewayPool: Endpoint['pool'] | undefined;
  try {
    gatewayChild = await startChild<{ url: string; secret: string }>(
      './gateway-server.ts',
      [upstream.ready.url],
      runtime,
      [
        ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
        ...(process.env.BENCH_GW_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
      ],
    );
    gatewayPool = poolFor(gatewayChild.ready.url);
    const json = { 'content-type': 'application/json' };
    const direct: Endpoint = {
      name: 'direct',
      pool: upstreamPool,
      path: '/v1/chat/completions',
      headers: { ...json, authorization: 'Bearer sk-bench-upstream' },
      body: chatBody('gpt-4o-mini', false),
      streamBody: chatBody('gpt-4o-mini', true),
    };
    const gateway: Endpoint = {
      name: 'gateway',
      pool: gatewayPool,
      path: '/v1/chat/completions',
      headers: { ...json, authorization: `Bearer ${gatewayChild.ready.secret}` },
      body: chatBody('fast', false),
      streamBody: chatBody('fast', true),
    };
    console.log(
      `gateway pid ${gatewayChild.pid}, started at ${fmt(memoryOf(gatewayChild.pid).rssMb)} MB RSS`,
    );

    await sanityCheck(direct, gateway, upstream);
    // Warm-up (not measured): JIT, connection pools, the key cache, the limiters' and budgets' state.
    for (const endpoint of [direct, gateway]) {
      await closedLoop(() => chat(endpoint), warmup, 4);
      await closedLoop(() => chatStream(endpoint), Math.ceil(warmup / 5), 2);
    }

    if (wants('floor')) await floor(direct, upstream.ready.url);
    if (wants('c1')) await concurrencyOne(direct, gateway, gatewayChild.pid);
    if (wants('stream')) await streaming(direct, gateway);
    if (wants('steady')) await steady(direct, gateway, { gateway: gatewayChild.pid, upstream: upstream.pid });

    const stats = (await upstream.ask({ stats: true }, 'stats')) as UpstreamStats;
    console.log(
      `upstream saw ${stats.chats} chats: ${stats.masked} with the e-mail masked (through the gateway), ${stats.raw} raw (direct)`,
    );
    printTable();
  } finally {
    await Promise.all([upstreamPool.close(), gatewayPool?.close()]);
    await gatewayChild?.stop();
    await upstream.stop();
  }
}

process.on('SIGINT', () => {
  stopChildren();
  process.exit(130);
});

try {
  await main();
} catch (err) {
  console.error('gateway benchmark failed:', err);
  stopChildren();
  process.exitCode = 1;
}
