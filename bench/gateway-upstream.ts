/**
 * The gateway benchmark's upstream, in a process of its own: the fake OpenAI server on loopback,
 * answering every chat with the same ~400-character text (streamed word by word when asked, with
 * the first argument's milliseconds between chunks; by default all at once).
 * Started by bench/gateway.ts over IPC; it answers `{ ready: { url } }`, then `{ stats }` on request.
 * Run alone, it prints its URL on stdout. Exits when its parent goes away.
 */
import { type FakeOpenAI, startFakeOpenAI } from '../test/gateway/fakes/index.js';
import { ANSWER_TEXT, RAW_EMAIL } from './gateway-request.js';

/** What the upstream has seen, to prove the gateway masked what it forwarded. */
export interface UpstreamStats {
  chats: number;
  /** Requests whose body held the raw e-mail address (direct calls). */
  raw: number;
  /** Requests whose body held an `[EMAIL_n]` placeholder instead (calls through the gateway). */
  masked: number;
}

const stats: UpstreamStats = { chats: 0, raw: 0, masked: 0 };
const upstream: FakeOpenAI = await startFakeOpenAI();
/** Milliseconds between streamed chunks (a model's pace); 0 sends the whole answer at once. */
const tokenGapMs = Number(process.argv[2] ?? 0);
if (tokenGapMs > 0) upstream.fault({ delayMsBetweenChunks: tokenGapMs }, { times: Number.POSITIVE_INFINITY });
upstream.setScript((request) => {
  stats.chats += 1;
  if (request.rawBody.includes(RAW_EMAIL)) stats.raw += 1;
  else if (request.rawBody.includes('[EMAIL_')) stats.masked += 1;
  return { text: ANSWER_TEXT };
});

// The fake keeps every request for test assertions; a benchmark sends tens of thousands, so the
// record is dropped every second to keep the upstream's heap (and its GC pauses) flat.
const trim = setInterval(() => {
  upstream.requests.length = 0;
}, 1000);

let closing = false;
async function close(): Promise<void> {
  if (closing) return;
  closing = true;
  // Never outlive the benchmark, even if closing hangs.
  setTimeout(() => process.exit(1), 5_000).unref();
  clearInterval(trim);
  await upstream.close();
  process.exit(0);
}

process.on('SIGTERM', () => void close());
process.on('SIGINT', () => void close());
if (process.send) {
  process.on('disconnect', () => void close());
  process.on('message', (message: { stats?: boolean }) => {
    if (message.stats) process.send?.({ stats });
  });
  process.send({ ready: { url: upstream.url } });
} else {
  console.log(upstream.url);
}
