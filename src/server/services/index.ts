/**
 * The API server's background services: webhooks, triggers and the approval SLA.
 * @module
 */
export {
  type ApprovalSlaOptions,
  type ApprovalSlaService,
  startApprovalSlaService,
} from './approvals/approval-sla-service.js';
export { type Services, type ServicesOptions, startServices } from './start-services.js';
export { nextFireTime } from './triggers/cron-schedule.js';
export {
  type CronService,
  type CronServiceOptions,
  cronFireKey,
  startCronService,
} from './triggers/cron-service.js';
export {
  createEventTriggers,
  type EventTriggerOptions,
  type IdempotentEventTriggers,
} from './triggers/event-triggers.js';
export {
  type DerivedWebhookEvent,
  toWebhookEvents,
  WEBHOOK_SOURCE_TYPES,
  type WebhookPayload,
  type WebhookRun,
} from './webhooks/webhook-events.js';
export {
  createWebhookFeedReader,
  type WebhookFeedReader,
  type WebhookFeedReaderOptions,
} from './webhooks/webhook-feed-reader.js';
export {
  createWebhookSender,
  DEFAULT_BACKOFF_MS,
  type WebhookSender,
  type WebhookSenderOptions,
} from './webhooks/webhook-sender.js';
export {
  startWebhookService,
  type WebhookService,
  type WebhookServiceOptions,
} from './webhooks/webhook-service.js';
export {
  SIGNATURE_HEADER,
  signWebhook,
  type VerifyWebhookOptions,
  verifyWebhook,
} from './webhooks/webhook-signature.js';
