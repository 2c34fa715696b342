/**
 * Redaction for anything Tollgate shows to people or stores: Slack messages, console notices, the
 * audit trail, search attributes and the UI summary, the status query, error messages and logs.
 * Request context is caller-supplied and routinely carries credentials (an agent passes its tool's
 * headers along), so no sink may echo it verbatim, and every sink uses the same policy.
 *
 * The module-level functions use one shared redactor: the defaults until the service calls
 * `configureRedaction(config.redaction)`, then the configured one. Workflow code must not call
 * `configureRedaction` (module state there outlives one workflow); it uses the defaults, or a
 * `createRedactor(options)` of its own built from options that arrive through its input or history.
 */
import { createRedactor, type RedactionOptions, type Redactor } from './redaction/redactor.js';

export { REDACTED } from './redaction/marker.js';
export { createRedactor, RedactionConfigError, MAX_REDACTION_DEPTH, type RedactionOptions, type Redactor } from './redaction/redactor.js';
export { DEFAULT_SECRET_KEYS } from './redaction/keys.js';
export { DEFAULT_SECRET_PATTERNS, type SecretPattern } from './redaction/patterns.js';

let shared: Redactor = createRedactor();

/** Replace the shared redactor, once config is loaded; throws RedactionConfigError naming a bad entry. */
export function configureRedaction(options: RedactionOptions = {}): Redactor {
  shared = createRedactor(options);
  return shared;
}

/** The redactor every sink shares. */
export const sharedRedactor = (): Redactor => shared;

export function redact<T>(value: T): T {
  return shared.redact(value);
}

export function redactString(text: string): string {
  return shared.redactString(text);
}

export function isSecretKey(key: string): boolean {
  return shared.isSecretKey(key);
}
