/**
 * The JSON/YAML workflow spec: parse, validate with precise issues, compile into a {@link WorkflowDefinition}.
 * @module
 */
export type { SpecIssue, SpecIssueCode } from '../core/graph.js';
export { type CompileSpecOptions, compileSpec, type FunctionLookup } from './compile.js';
export { DEFAULT_EXPRESSION_TIMEOUT_MS, type SpecExpression } from './expression.js';
export {
  durationField,
  expressionField,
  functionNameField,
  jsonSchemaField,
  STEP_ID,
  stepIdField,
  stepIdListField,
  strictFields,
  WORKFLOW_NAME,
} from './fields.js';
export type { JsonSchema } from './json-schema.js';
export {
  defineSpecKind,
  type SpecCompileEnv,
  type SpecKind,
  SpecKindRegistry,
  type SpecReference,
} from './kind.js';
export { parseSpecText, type SpecFormat, type SpecSyntaxError } from './parse.js';
export { builtinSpecKinds, registerSpecKind, specKinds } from './registry.js';
export type {
  CommonStepSpec,
  CompensateSpec,
  DurationSpec,
  RetrySpec,
  StepSpec,
  WorkflowSpec,
} from './types.js';
export { type SpecValidation, type ValidateSpecOptions, validateSpec } from './validate.js';
