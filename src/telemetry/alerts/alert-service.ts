/**
 * The alert service: evaluates the rules every `intervalMs`, moves each alert's state by a
 * compare-and-set in the shared state store, and notifies once per change (firing, then resolved),
 * from whichever server won the change.
 * @module
 */
import type { Gateway } from '../../gateway/gateway.js';
import type { Baton } from '../../runtime/baton.js';
import { startTicker } from '../../server/services/ticker.js';
import { AlertEvaluator, type EvaluatorOptions, type Observation } from './evaluate.js';
import { type AlertNotification, alertNotification, postToWebhooks } from './notify.js';
import type { AlertRule } from './rules.js';
import type { AlertState, AlertStateStore } from './state-port.js';

/** Options of {@link startAlertService}. */
export interface AlertServiceOptions extends EvaluatorOptions {
  rules: readonly AlertRule[];
  state: AlertStateStore;
  /** Where notifications are POSTed (when `notify` is not given). @defaultValue [] */
  webhooks?: readonly string[];
  /** The API's public URL, for run links. */
  baseUrl?: string | undefined;
  /** Sends a notification. @defaultValue a POST to each of `webhooks` */
  notify?: (notification: AlertNotification) => Promise<void>;
  /** @defaultValue 60000 */
  intervalMs?: number;
  /** @defaultValue Date.now */
  now?: () => number;
  /** @defaultValue logs to stderr */
  onError?: (error: unknown) => void;
}

/** A running alert service. */
export interface AlertService {
  /** One evaluation now (after any in progress); for tests and `baton dev`. */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

/** What the service reads: the engine, and the gateway's request log when there is one. */
export interface AlertContext {
  baton: Pick<Baton, 'store'>;
  gateway?: Pick<Gateway, 'ledger'> | undefined;
}

/**
 * Starts evaluating `rules` on an interval.
 * @example
 * const alerts = startAlertService(ctx, { rules: DEFAULT_ALERT_RULES, state, webhooks: [slackUrl] });
 */
export function startAlertService(ctx: AlertContext, options: AlertServiceOptions): AlertService {
  const now = options.now ?? Date.now;
  const onError = options.onError ?? ((e: unknown) => console.error('alerts:', e));
  const webhooks = options.webhooks ?? [];
  const notify = options.notify ?? ((n: AlertNotification) => postToWebhooks(webhooks, n));
  const rules = new Map(options.rules.map((r) => [r.id, r]));
  const evaluator = new AlertEvaluator(
    { store: ctx.baton.store, ledger: ctx.gateway?.ledger },
    options.rules,
    options,
  );

  const send = async (rule: AlertRule, state: AlertState) => {
    try {
      await notify(alertNotification(rule, state, options.baseUrl));
    } catch (error) {
      // The change is recorded already; a lost notification is reported, never re-sent by another server.
      onError(error);
    }
  };

  const tick = async () => {
    const at = now();
    const observed = new Map<string, Observation>((await evaluator.evaluate(at)).map((o) => [o.key, o]));
    const stored = new Map((await options.state.listStates()).map((s) => [s.key, s]));
    for (const o of observed.values()) {
      const rule = rules.get(o.ruleId);
      const before = stored.get(o.key);
      if (!rule || !o.firing || before?.status === 'firing') continue;
      const to: AlertState = { ...o, status: 'firing', since: at };
      if (await options.state.transition({ from: before?.status, to })) await send(rule, to);
    }
    for (const s of stored.values()) {
      const rule = rules.get(s.ruleId);
      const o = observed.get(s.key);
      // No observation: nothing left in the window to measure, so the condition no longer holds. An
      // alert whose rule left the config resolves too, without a notification (nothing to describe it).
      if (s.status !== 'firing' || o?.firing) continue;
      const to: AlertState = {
        ...s,
        status: 'resolved',
        since: at,
        value: o?.value ?? s.value,
        threshold: o?.threshold ?? s.threshold,
      };
      if ((await options.state.transition({ from: 'firing', to })) && rule) await send(rule, to);
    }
  };

  const ticker = startTicker(options.intervalMs ?? 60_000, tick, onError);
  return { tick: () => ticker.tick(), stop: () => ticker.stop() };
}
