/**
 * The offline provider: a deterministic, scriptable model for examples, tests and the first run,
 * needing no key and no network. Its answers are always labelled offline.
 *
 * Rules file (YAML or JSON), tried in order, first match wins:
 * ```yaml
 * rules:
 *   - name: triage
 *     when: { json: true, system: classify }
 *     answer: { json: from-schema }
 *   - when: { prompt: weather, hasTools: true }
 *     answer: { toolCalls: [{ name: search, arguments: { query: '{{lastUser}}' } }] }
 * ```
 * See `example-rules.yaml` next to this file for a complete script.
 * @module
 */
export {
  answerFor,
  messageText,
  type OfflineAnswer,
  type RequestFacts,
  requestFacts,
  ruleMatches,
} from './answer.js';
export { OFFLINE_EMBEDDING_DIMENSIONS, offlineEmbedding, offlineEmbeddings } from './embeddings.js';
export {
  createOfflineProvider,
  OFFLINE_FINGERPRINT,
  type OfflineProviderOptions,
  splitWords,
} from './offline-provider.js';
export {
  loadOfflineRules,
  OFFLINE_PLACEHOLDERS,
  type OfflineAnswerSpec,
  type OfflineRule,
  type OfflineRuleWhen,
  type OfflineToolCall,
  parseOfflineRules,
} from './rules.js';
export { jsonFromSchema } from './schema-json.js';
export { estimatePromptTokens, estimateTokens } from './usage.js';
