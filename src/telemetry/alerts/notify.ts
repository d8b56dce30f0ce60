/**
 * Alert notifications: a Slack-compatible payload (`text` and `blocks`, which Slack incoming webhooks
 * render, plus a `baton` object for other receivers) POSTed to the configured webhook URLs.
 * @module
 */
import type { AlertRule } from './rules.js';
import type { AlertState } from './state-port.js';

/** One alert firing or resolving, as receivers get it. */
export interface AlertNotification {
  text: string;
  blocks: unknown[];
  baton: {
    status: AlertState['status'];
    ruleId: string;
    kind: AlertRule['kind'];
    tenant: string;
    subject: string;
    value: number;
    threshold: number;
    window: string;
    /** When the alert entered this status (ms since the epoch). */
    since: number;
    exampleRuns: { id: string; url?: string }[];
  };
}

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The measured value and its threshold in words, per kind. */
function describe(rule: AlertRule, state: AlertState): string {
  const v = state.value;
  const t = state.threshold;
  switch (rule.kind) {
    case 'success-rate':
      return `success rate ${percent(v)} over ${rule.window} (alert below ${percent(t)})`;
    case 'run-duration':
      return `p${rule.percentile} run duration ${(v / 1000).toFixed(1)} s over ${rule.window} (alert above ${(t / 1000).toFixed(1)} s)`;
    case 'tokens-vs-baseline':
      return `p${rule.percentile} tokens per run ${Math.round(v)} over ${rule.window} (alert above ${Math.round(t)}, ${rule.factor}× the ${rule.baseline} baseline)`;
    case 'model-error-rate':
      return `model error rate ${percent(v)} over ${rule.window} (alert above ${percent(t)})`;
    case 'run-cost-outlier':
      return `a run cost $${v.toFixed(4)} (alert above $${t.toFixed(4)}, ${rule.factor}× the p${rule.percentile} of ${rule.baseline})`;
  }
}

/** The notification of `state` (just entered) under `rule`; run links (to the dashboard's run page) need `baseUrl`. */
export function alertNotification(rule: AlertRule, state: AlertState, baseUrl?: string): AlertNotification {
  const runs = state.exampleRuns.map((id) => ({
    id,
    ...(baseUrl ? { url: `${baseUrl.replace(/\/+$/, '')}/runs/${encodeURIComponent(id)}` } : {}),
  }));
  const head = state.status === 'firing' ? '🔴 FIRING' : '✅ RESOLVED';
  const text = `${head} ${rule.id} · ${state.tenant}/${state.subject}: ${describe(rule, state)}`;
  const links = runs.map((r) => (r.url ? `<${r.url}|${r.id}>` : `\`${r.id}\``)).join(', ');
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      ...(links ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: `Example runs: ${links}` }] }] : []),
    ],
    baton: {
      status: state.status,
      ruleId: rule.id,
      kind: rule.kind,
      tenant: state.tenant,
      subject: state.subject,
      value: state.value,
      threshold: state.threshold,
      window: rule.window,
      since: state.since,
      exampleRuns: runs,
    },
  };
}

/**
 * POSTs a notification to every URL, each once, within `timeoutMs`; redirects are not followed.
 * @throws Error naming the URLs that did not answer 2xx
 */
export async function postToWebhooks(
  urls: readonly string[],
  notification: AlertNotification,
  timeoutMs = 10_000,
): Promise<void> {
  const failures: string[] = [];
  await Promise.all(
    urls.map(async (url) => {
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(notification),
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
        await res.body?.cancel();
        if (res.status < 200 || res.status > 299)
          failures.push(`${new URL(url).host} answered ${res.status}`);
      } catch (error) {
        failures.push(`${new URL(url).host}: ${(error as Error).message}`);
      }
    }),
  );
  if (failures.length > 0) throw new Error(`alert notification not delivered: ${failures.join('; ')}`);
}
