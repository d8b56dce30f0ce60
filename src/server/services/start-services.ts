/**
 * The API server's background services, started and stopped together: the webhook dispatcher, the cron
 * scheduler and the approval SLA. (Event triggers are not a loop: the events route calls them.)
 * @module
 */
import type { ServerContext } from '../context.js';
import { type ApprovalSlaOptions, startApprovalSlaService } from './approvals/approval-sla-service.js';
import { type CronServiceOptions, startCronService } from './triggers/cron-service.js';
import { startWebhookService, type WebhookServiceOptions } from './webhooks/webhook-service.js';

/** Options of {@link startServices}; `onError` applies to every service that has none of its own. */
export interface ServicesOptions {
  webhooks?: WebhookServiceOptions | false;
  cron?: CronServiceOptions | false;
  approvals?: ApprovalSlaOptions | false;
  onError?: (error: unknown) => void;
}

/** The running services. */
export interface Services {
  /** One round of every service, in order: cron, approvals, webhooks (for tests). */
  tick(): Promise<void>;
  /** Stops every service and waits for their rounds in progress. */
  stop(): Promise<void>;
}

/**
 * Starts the background services of a server; `false` leaves one out.
 * @example
 * const services = startServices(ctx, { onError: (e) => log.error(e) });
 * process.on('SIGTERM', () => void services.stop());
 */
export function startServices(ctx: ServerContext, options: ServicesOptions = {}): Services {
  const withDefaults = <T extends { onError?: (error: unknown) => void }>(o: T | undefined): T =>
    ({ ...(options.onError ? { onError: options.onError } : {}), ...o }) as T;
  const running = [
    options.cron === false ? undefined : startCronService(ctx, withDefaults(options.cron)),
    options.approvals === false ? undefined : startApprovalSlaService(ctx, withDefaults(options.approvals)),
    options.webhooks === false ? undefined : startWebhookService(ctx, withDefaults(options.webhooks)),
  ].filter((s) => s !== undefined);
  return {
    async tick() {
      for (const service of running) await service.tick();
    },
    async stop() {
      await Promise.all(running.map((s) => s.stop()));
    },
  };
}
