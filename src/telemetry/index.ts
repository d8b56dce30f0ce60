/**
 * Telemetry: traces kept in Baton's store (OTLP export when configured) and JSON logs.
 * @module
 */
export { activeLogger, currentTraceparent } from './context-keys.js';
export { attemptLogger, createLogger, type Logger, type LoggerOptions } from './logs.js';
export * from './spans/index.js';
export * from './tracing/index.js';
export { type CliTelemetry, openCliTelemetry, otlpFromEnv, type TelemetryDatabase } from './tracing-env.js';
