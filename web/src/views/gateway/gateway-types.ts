/** The shapes of the gateway's read API (`/v1/gateway/*`), as the dashboard uses them. */

export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

export interface GatewayTarget {
  model: string;
  provider: string;
  providerKind?: string;
  offline: boolean;
  weight: number;
  timeoutMs: number;
  price?: { input: number; output: number };
  breaker: {
    state: BreakerState;
    since?: number;
    consecutiveFailures: number;
    threshold: number;
    lastFailure?: { at: number; code: string };
    retryAt?: number;
  };
  latencyMs?: number;
}

export interface GatewayRoute {
  alias: string;
  strategy: 'fallback' | 'weighted' | 'latency' | 'cheapest';
  description?: string;
  targets: GatewayTarget[];
  when?: { metadata: Record<string, string>; route: string }[];
  cacheTtlSeconds?: number;
  recent: { calls: number; errors: number; errorRate: number | null };
}

export interface RoutesAnswer {
  data: GatewayRoute[];
  since: number;
  until: number;
  breaker: { consecutiveFailures: number; halfOpenAfterMs: number };
}

export interface BudgetUse {
  period: 'day' | 'week' | 'month' | 'total';
  limitUsd: number;
  spentUsd: number;
  periodStart: number;
}

export interface RateLimits {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
}

export interface GatewayKey {
  id: string;
  prefix: string;
  name: string;
  status: 'active' | 'revoked' | 'expired';
  allowedModels: string[];
  budgets: BudgetUse[];
  spend: { dayUsd: number; monthUsd: number };
  rateLimits: RateLimits;
  createdAt: number;
  revokedAt?: number;
  expiresAt?: number;
}

export interface KeysAnswer {
  data: GatewayKey[];
  tenant: { budgets: BudgetUse[]; rateLimits: RateLimits };
}

export interface GatewayRequest {
  id: string;
  at: number;
  route: string;
  target?: string;
  endpoint: 'chat' | 'embeddings';
  stream: boolean;
  status: 'ok' | 'error' | 'cancelled';
  errorCode?: string;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  reasoningTokens: number;
  costUsd: number;
  latencyMs: number;
  ttftMs?: number;
  cacheHit: boolean;
  retries: number;
  fallbacks: number;
  keyId?: string;
  runId?: string;
  stepId?: string;
}

export interface RequestsPage {
  data: GatewayRequest[];
  next_cursor: string | null;
}
