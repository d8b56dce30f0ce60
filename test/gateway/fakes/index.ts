/**
 * Fake LLM upstreams for the gateway's tests and benchmark: OpenAI, Anthropic and Gemini wire
 * protocols on loopback, with scripted answers and injectable faults. Tests never call a live model.
 */
export { type FakeAnthropic, startFakeAnthropic } from './fake-anthropic.js';
export { type FakeGemini, type FakeGeminiOptions, startFakeGemini } from './fake-gemini.js';
export { type FakeOpenAI, type FakeOpenAIOptions, startFakeOpenAI } from './fake-openai.js';
export type { FakeServer, FakeServerOptions, RecordedRequest } from './fake-server.js';
export type { Fault, FaultMatch } from './faults.js';
export type { FakeToolCall, FakeUsage, Script, ScriptedReply } from './script.js';
export { parseSse, readBody, readSse, type SseEvent } from './sse.js';
