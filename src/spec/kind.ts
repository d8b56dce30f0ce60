/**
 * Step kinds of the spec language. A kind declares its own fields (a zod object) and compiles a validated
 * step into its runtime config; the validator and compiler know nothing else about it, so new kinds
 * (llm, agent, tool, plan) plug in without touching them.
 * @module
 */
import type { z } from 'zod';
import type { RegisteredFunction } from '../core/definition.js';
import { BatonError } from '../core/errors.js';
import type { SpecExpression } from './expression.js';
import { RESERVED_STEP_FIELDS } from './fields.js';
import type { StepSpec } from './types.js';

/** A reference from a step to a step or function, with its path relative to the step (`cases[0].then[1]`). */
export interface SpecReference {
  name: string;
  path: string;
}

/** What a kind's `compile` gets to turn its fields into runtime functions. */
export interface SpecCompileEnv {
  /** Path of the step in the spec (`steps[2]`). */
  readonly path: string;
  /** Compiles the expression found at `field` (relative to the step: `input`, `cases[0].when`). */
  expression(text: string, field: string): SpecExpression;
  /** The registered function called `name`. */
  fn(name: string): RegisteredFunction;
  /** A spec duration in milliseconds. */
  duration(value: string | number): number;
}

/**
 * A step kind of the spec language.
 * @example
 * registerSpecKind(defineSpecKind({
 *   kind: 'log',
 *   description: 'logs a message',
 *   fields: z.object({ message: expressionField() }),
 *   compile: (step, env) => {
 *     const message = env.expression(step.message, 'message');
 *     return { run: async (ctx) => console.log(await message.evaluate(ctx)) } satisfies FnConfig;
 *   },
 * }));
 */
export interface SpecKind<Fields extends z.ZodObject = z.ZodObject> {
  /** The value of `kind:` in the spec; lower-case letters, digits and `-`. */
  kind: string;
  /** One line for messages and docs. */
  description: string;
  /**
   * The kind's own fields. Keys outside these and the common step fields are reported as unknown.
   * It may redefine the common `timeout` field (as `approval` does), none of the others.
   */
  fields: Fields;
  /**
   * The steps this step may choose as successors (branch targets), checked to exist and to need it.
   * Like `functions`, called once the kind's own fields are valid, possibly before the common ones are:
   * read only the kind's fields.
   */
  targets?(step: StepSpec<z.output<Fields>>): SpecReference[];
  /** The registered functions this step calls, checked to exist when a lookup is given. */
  functions?(step: StepSpec<z.output<Fields>>): SpecReference[];
  /** Builds the step's runtime config ({@link FnConfig}, {@link BranchConfig}, ...). */
  compile(step: StepSpec<z.output<Fields>>, env: SpecCompileEnv): unknown;
}

/**
 * A kind with its field types erased, as registries accept it: any `SpecKind<Fields>` is one, including
 * copies made with object spread (which turn the hook methods into properties).
 */
export type AnySpecKind = Omit<SpecKind, 'targets' | 'functions' | 'compile'> & {
  targets?: (step: never) => SpecReference[];
  functions?: (step: never) => SpecReference[];
  compile: (step: never, env: SpecCompileEnv) => unknown;
};

/** Identity function that infers a kind's field types for its hooks. */
export function defineSpecKind<Fields extends z.ZodObject>(kind: SpecKind<Fields>): SpecKind<Fields> {
  return kind;
}

const KIND_NAME = /^[a-z][a-z0-9-]*$/;

/** A set of spec kinds by name. */
export class SpecKindRegistry {
  readonly #kinds = new Map<string, SpecKind>();

  constructor(kinds: Iterable<AnySpecKind> = []) {
    for (const kind of kinds) this.register(kind);
  }

  /**
   * Adds a kind.
   * @throws BatonError `INVALID_ARGUMENT` when the name is taken or malformed, or the kind redefines a common field.
   */
  register(kind: AnySpecKind): this {
    if (!KIND_NAME.test(kind.kind)) {
      throw new BatonError('INVALID_ARGUMENT', `spec kind name "${kind.kind}" is malformed`, {
        hint: 'Use lower-case letters, digits and "-", starting with a letter',
      });
    }
    if (this.#kinds.has(kind.kind)) {
      throw new BatonError('INVALID_ARGUMENT', `spec kind "${kind.kind}" is already registered`, {
        hint: 'Pick another name, or build a separate SpecKindRegistry',
      });
    }
    const clash = Object.keys(kind.fields.shape).filter((key) => RESERVED_STEP_FIELDS.includes(key));
    if (clash.length > 0) {
      throw new BatonError(
        'INVALID_ARGUMENT',
        `spec kind "${kind.kind}" redefines common step fields: ${clash.join(', ')}`,
        {
          hint: 'Rename those fields; only "timeout" may be redefined by a kind',
        },
      );
    }
    // The validator calls the hooks only with steps whose fields passed `kind.fields`, which is what erasing needs.
    this.#kinds.set(kind.kind, kind as unknown as SpecKind);
    return this;
  }

  /** The kind called `name`, if registered. */
  get(name: string): SpecKind | undefined {
    return this.#kinds.get(name);
  }

  /** Names of the registered kinds, in registration order. */
  names(): string[] {
    return [...this.#kinds.keys()];
  }
}
