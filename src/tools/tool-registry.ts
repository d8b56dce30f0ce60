/**
 * The tool registry: local tools and tool sources (MCP servers) under unique names, one circuit
 * breaker per tool, and grant views. Agents and steps never call the registry directly: they get a
 * {@link GrantedTools} view of the tools they were granted, which is all the model can see or call.
 * @module
 */
import { type CircuitBreakerPolicy, ConsecutiveBreaker, circuitBreaker, handleWhen } from 'cockatiel';
import { BatonError } from '../core/errors.js';
import { compileDetectors, type MaskerOptions } from '../gateway/pii/index.js';
import { type BreakerState, breakerStateOf } from '../resilience/breaker-state.js';
import type { ToolAuditSink } from './audit.js';
import { GrantedTools, type GrantHost, type GrantSettings } from './granted-tools.js';
import { MIN_RESULT_BYTES } from './result-cap.js';
import type { Tool, ToolBreakerPolicy, ToolRetryPolicy, ToolSource } from './tool.js';
import { isToolError, ToolError } from './tool-errors.js';

/** A valid tool name: 1–128 chars of `[A-Za-z0-9_.-]`. */
export const TOOL_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;
const SOURCE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Options of a {@link ToolRegistry}. */
export interface ToolRegistryOptions {
  /** Where every call's audit record goes. */
  audit: ToolAuditSink;
  /**
   * The most UTF-8 bytes of one tool result (or error) sent back to the model; a grant may lower it.
   * @defaultValue 16384
   */
  maxResultBytes?: number;
  /** Per attempt, for tools that set none. @defaultValue 30000 */
  timeoutMs?: number;
  /** For tools that set none. @defaultValue `{ attempts: 2, baseMs: 250, maxMs: 4000 }` */
  retry?: ToolRetryPolicy;
  /** For tools that set none. @defaultValue `{ consecutiveFailures: 5, halfOpenAfterMs: 30000 }` */
  breaker?: ToolBreakerPolicy;
  /** What is masked in the audited arguments. @defaultValue every built-in PII type */
  pii?: Pick<MaskerOptions, 'types' | 'customPatterns'>;
  /** Backoff jitter, a number in [0, 1). @defaultValue Math.random */
  random?: () => number;
  /** A monotonic clock for durations, in ms. @defaultValue performance.now */
  now?: () => number;
  /** The wall clock for audit timestamps, in epoch ms. @defaultValue Date.now */
  clock?: () => number;
}

/** Options of {@link ToolRegistry.forGrant}. */
export interface GrantOptions {
  /** A lower cap on results for this agent or step (its context bound uses it). @defaultValue the registry's */
  maxResultBytes?: number;
}

/** The state of a tool's breaker, as reported to operators. */
export type ToolBreakerState = BreakerState;

/**
 * Local tools and tool sources under unique names.
 * @example
 * const registry = new ToolRegistry({ audit: new MemoryToolAuditSink() }).register(lookupOrder);
 * const tools = registry.forGrant(['lookup_order']);
 * await tools.call('lookup_order', '{"orderId":"A-1042"}', { runId, stepId, callId });
 */
export class ToolRegistry {
  readonly #local = new Map<string, Tool>();
  readonly #sources = new Map<string, ToolSource>();
  readonly #breakers = new Map<string, CircuitBreakerPolicy>();
  readonly #settings: GrantSettings;
  readonly #breaker: ToolBreakerPolicy;
  readonly #host: GrantHost;

  constructor(options: ToolRegistryOptions) {
    const maxResultBytes = options.maxResultBytes ?? 16_384;
    checkResultCap(maxResultBytes);
    this.#breaker = options.breaker ?? { consecutiveFailures: 5, halfOpenAfterMs: 30_000 };
    this.#settings = {
      maxResultBytes,
      timeoutMs: options.timeoutMs ?? 30_000,
      retry: options.retry ?? { attempts: 2, baseMs: 250, maxMs: 4_000 },
      random: options.random ?? Math.random,
      now: options.now ?? performance.now.bind(performance),
      clock: options.clock ?? Date.now,
    };
    checkPolicies('the registry', this.#settings.timeoutMs, this.#settings.retry, this.#breaker);
    const detectors = compileDetectors(options.pii ?? {});
    this.#host = {
      resolve: (name) => this.resolve(name),
      breakerFor: (tool) => this.#breakerFor(tool),
      audit: options.audit,
      detectors,
    };
  }

  /** Adds local tools. Throws if a name is invalid, taken, or inside a source's namespace. */
  register(...tools: Tool[]): this {
    for (const tool of tools) this.#registerOne(tool);
    return this;
  }

  #registerOne(tool: Tool): void {
    checkName(tool.name);
    if (this.#local.has(tool.name)) {
      throw new BatonError('INVALID_ARGUMENT', `a tool named ${tool.name} is already registered`, {
        hint: 'Tool names must be unique in a registry',
      });
    }
    const namespace = namespaceOf(tool.name);
    if (namespace !== undefined && this.#sources.has(namespace)) {
      throw new BatonError(
        'INVALID_ARGUMENT',
        `tool ${tool.name} is inside the namespace of source ${namespace}`,
        {
          hint: 'Rename the tool: names before the first dot belong to tool sources',
        },
      );
    }
    checkPolicies(`tool ${tool.name}`, tool.timeoutMs, tool.retry, tool.breaker);
    this.#local.set(tool.name, tool);
  }

  /** Adds a tool source (an MCP server); its tools are the names `<source>.<tool>`. */
  addSource(source: ToolSource): this {
    if (!SOURCE_NAME_PATTERN.test(source.name)) {
      throw new BatonError('INVALID_ARGUMENT', `tool source name ${JSON.stringify(source.name)} is invalid`, {
        hint: 'Use 1-64 characters of A-Z, a-z, 0-9, _ and - (no dot: it is a namespace)',
      });
    }
    const clash = [...this.#local.keys()].find((name) => namespaceOf(name) === source.name);
    if (this.#sources.has(source.name) || clash !== undefined) {
      throw new BatonError('INVALID_ARGUMENT', `the namespace ${source.name} is already taken`, {
        hint: clash ? `Local tool ${clash} uses it; rename one of them` : 'Source names must be unique',
      });
    }
    this.#sources.set(source.name, source);
    return this;
  }

  /**
   * The tool called `name` now, local or offered by its source; undefined if there is none, or if
   * its source failed to say (an MCP server that is down offers nothing until it is back).
   */
  async resolve(name: string): Promise<Tool | undefined> {
    const local = this.#local.get(name);
    if (local) return local;
    const namespace = namespaceOf(name);
    const source = namespace === undefined ? undefined : this.#sources.get(namespace);
    if (!source) return undefined;
    try {
      return (await source.tools()).find((tool) => tool.name === name);
    } catch {
      return undefined;
    }
  }

  /**
   * A view of the tools in `grant`, the only ones its holder can see and call. Every name must be a
   * registered local tool or lie in a registered source's namespace (the source may be offline now;
   * its tool is then hidden and reported as not found until it is back).
   */
  forGrant(grant: readonly string[], options: GrantOptions = {}): GrantedTools {
    for (const name of grant) {
      checkName(name);
      const namespace = namespaceOf(name);
      const known = this.#local.has(name) || (namespace !== undefined && this.#sources.has(namespace));
      if (!known) {
        throw new ToolError('TOOL_NOT_FOUND', `the grant names tool ${name}, which is not registered`, {
          tool: name,
          retryable: false,
          hint: 'Register the tool or its source first, or fix the name in the grant',
        });
      }
    }
    const maxResultBytes = options.maxResultBytes ?? this.#settings.maxResultBytes;
    checkResultCap(maxResultBytes);
    return new GrantedTools(this.#host, [...new Set(grant)], { ...this.#settings, maxResultBytes });
  }

  /** The state of a tool's breaker; undefined before its first call. */
  breakerState(name: string): ToolBreakerState | undefined {
    const breaker = this.#breakers.get(name);
    return breaker ? breakerStateOf(breaker) : undefined;
  }

  #breakerFor(tool: Tool): CircuitBreakerPolicy {
    let breaker = this.#breakers.get(tool.name);
    if (!breaker) {
      const policy = tool.breaker ?? this.#breaker;
      // Only failures a retry could cure say the tool is unhealthy: bad input says nothing about it.
      breaker = circuitBreaker(
        handleWhen((err) => isToolError(err) && err.retryable),
        {
          halfOpenAfter: policy.halfOpenAfterMs,
          breaker: new ConsecutiveBreaker(policy.consecutiveFailures),
        },
      );
      this.#breakers.set(tool.name, breaker);
    }
    return breaker;
  }
}

function namespaceOf(name: string): string | undefined {
  const dot = name.indexOf('.');
  return dot > 0 ? name.slice(0, dot) : undefined;
}

function checkName(name: string): void {
  if (!TOOL_NAME_PATTERN.test(name)) {
    throw new BatonError('INVALID_ARGUMENT', `tool name ${JSON.stringify(name)} is invalid`, {
      hint: 'Use 1-128 characters of A-Z, a-z, 0-9, _, . and -',
    });
  }
}

function checkResultCap(bytes: number): void {
  if (!Number.isInteger(bytes) || bytes < MIN_RESULT_BYTES) {
    throw new BatonError('INVALID_ARGUMENT', `maxResultBytes is ${bytes}`, {
      hint: `Use a whole number of at least ${MIN_RESULT_BYTES}`,
    });
  }
}

function checkPolicies(
  owner: string,
  timeoutMs: number | undefined,
  retry: ToolRetryPolicy | undefined,
  breaker: ToolBreakerPolicy | undefined,
): void {
  const below = (value: number, min: number): boolean => !Number.isFinite(value) || value < min;
  const problems = [
    timeoutMs !== undefined && below(timeoutMs, 1) ? `timeoutMs ${timeoutMs}` : undefined,
    retry && (!Number.isInteger(retry.attempts) || retry.attempts < 0)
      ? `retry.attempts ${retry.attempts}`
      : undefined,
    retry && (below(retry.baseMs, 0) || below(retry.maxMs, 0)) ? 'retry delays' : undefined,
    breaker && (!Number.isInteger(breaker.consecutiveFailures) || breaker.consecutiveFailures < 1)
      ? `breaker.consecutiveFailures ${breaker.consecutiveFailures}`
      : undefined,
    breaker && below(breaker.halfOpenAfterMs, 0) ? 'breaker.halfOpenAfterMs' : undefined,
  ].filter((problem) => problem !== undefined);
  if (problems.length > 0) {
    throw new BatonError('INVALID_ARGUMENT', `${owner} has invalid settings: ${problems.join(', ')}`, {
      hint: 'Timeouts must be positive, retry attempts a whole number from 0, delays at least 0, and breakers open after at least 1 failure',
    });
  }
}
