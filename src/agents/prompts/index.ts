/**
 * Versioned prompt files: `prompts/<name>/v<N>.md` with YAML front matter and `{{variable}}` templates,
 * loaded and validated by {@link PromptLibrary}, and a lockfile that keeps old versions from being
 * edited in place. The file format is described in this folder's README.md.
 * @module
 */
export type {
  MessageTemplate,
  PromptDefinition,
  PromptFrontMatter,
  PromptOutput,
  PromptParameters,
  PromptRole,
  VariableDeclaration,
} from './prompt-file.js';
export { normalizePromptText, parsePromptFile, promptFrontMatterSchema } from './prompt-file.js';
export type { RenderOptions } from './prompt-library.js';
export { PromptLibrary } from './prompt-library.js';
export type { EditedPromptVersion, LockablePrompt, PromptLock, PromptLockCheck } from './prompt-lock.js';
export {
  checkPromptLock,
  createPromptLock,
  PROMPT_LOCK_FILE,
  promptLockKey,
  readPromptLock,
  updatePromptLock,
  verifyPromptLock,
  writePromptLock,
} from './prompt-lock.js';
export type { JsonSchemaResponseFormat, PromptVersion, RenderedPrompt } from './render-prompt.js';
export { renderPrompt, toChatRequest } from './render-prompt.js';
export type { TemplateRendering, TemplateSegment } from './template.js';
export { isVariableName, parseTemplate, renderTemplate } from './template.js';
