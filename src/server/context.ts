/**
 * What the API server is made of, shared by its routes (`app/`) and its background services
 * (`services/`): the engine, the control store, the optional gateway, a clock, and the services the
 * routes call into. The server wires one of these at start (`start-server.ts`).
 * @module
 */
import type { Gateway } from '../gateway/gateway.js';
import type { Baton } from '../runtime/baton.js';
import type { AlertRule } from '../telemetry/alerts/rules.js';
import type { AlertStateStore } from '../telemetry/alerts/state-port.js';
import type { BatonMetrics } from '../telemetry/metrics/index.js';
import type { SpanStore } from '../telemetry/spans/port.js';
import type { ControlStore, Role } from './control/port.js';

/** Who is calling: the API key that authenticated the request. */
export interface Caller {
  keyId: string;
  /** `bk_<id>`, for logs and audit entries. */
  prefix: string;
  name: string;
  tenant: string;
  roles: Role[];
}

/** Event triggers, as the `POST /v1/events` route fires them after publishing an event. */
export interface EventTriggers {
  /**
   * Starts the runs of the enabled event triggers matching `key`; returns their run ids. With an
   * `eventId` (the request's `Idempotency-Key`), publishing the same event again starts nothing new.
   */
  fire(key: string, payload: unknown, tenant: string, eventId?: string): Promise<string[]>;
}

/** The parts of a running server. */
export interface ServerContext {
  baton: Baton;
  control: ControlStore;
  /** Mounted at `/v1/chat/completions`, `/v1/embeddings`, `/v1/models` when present. */
  gateway?: Gateway;
  /** Epoch milliseconds; injectable for tests. */
  now: () => number;
  triggers: EventTriggers;
  /** Where the runs' spans are read (`GET /v1/runs/{id}/spans`); none when tracing is off. */
  spans?: SpanStore;
  /** Served at `GET /metrics` when present; with a `token`, scrapers must send it as a bearer token. */
  metrics?: { exporter: BatonMetrics; token?: string };
  /** The alert rules and their state, when alerts are configured (`GET /v1/alerts` lists them). */
  alerts?: { rules: readonly AlertRule[]; state: AlertStateStore };
}
