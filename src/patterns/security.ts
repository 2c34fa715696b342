import { isDomainAllowed } from './detectors/domain.js';
import { detectPathTraversal, isPathAllowed } from './detectors/path.js';
import { detectCommandInjection } from './detectors/shell.js';
import { detectSqlInjection } from './detectors/sql.js';

/**
 * Detectors behind the security-hardening and enterprise presets (seed: SecurityValidation and
 * prepare_security_context), one module each under ./detectors/. They are tripwires for
 * agent-authored arguments, not a sanitiser: a `false` does not make an argument safe, and the
 * tools themselves must still use parameterised queries, argv-style process calls and a
 * chroot-like base directory. What each one judges, and what it cannot catch:
 * docs/resources-and-detectors.md.
 */
export { detectCommandInjection, detectPathTraversal, detectSqlInjection, isDomainAllowed, isPathAllowed };

export interface SecurityContextOptions {
  /** Hosts the `url` argument may point at; see isDomainAllowed. */
  domainAllowlist: readonly string[];
  /**
   * Directories the `path` argument may use; when given, sets `path_whitelisted`, and a path
   * inside one of them is not a traversal even when absolute.
   */
  pathAllowlist?: readonly string[];
}

export interface SecurityContext {
  audit_logging_enabled: true;
  contains_sql_injection?: boolean;
  contains_command_injection?: boolean;
  contains_path_traversal?: boolean;
  path_whitelisted?: boolean;
  domain_whitelisted?: boolean;
  /** The enterprise preset's name for domain_whitelisted. */
  domain_approved?: boolean;
  [key: string]: unknown;
}

/** The strings to vet in an argument; null when it is present but not text (cannot be vetted). */
function textsOf(value: unknown): string[] | null {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  return null;
}

/** Present but not text: flagged, since a detector that cannot read an argument must not pass it. */
function flag(value: unknown, detect: (text: string) => boolean): boolean {
  const texts = textsOf(value);
  return texts === null || texts.some(detect);
}

const hasOwn = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);

/**
 * Context keys for the security rules from a tool call's arguments (seed:
 * prepare_security_context). Keys are set only for the arguments present (`query`, `command`,
 * `path`, `url`), as in the seed; `audit_logging_enabled` is always true because every governed
 * operation runs as a Temporal workflow whose event history records each step (the decision, every
 * vote signal, each activity's result); a separate hash-chained SQL trail is not built yet.
 */
export function securityContext(args: unknown, options: SecurityContextOptions): SecurityContext {
  const context: SecurityContext = { audit_logging_enabled: true };
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return context;
  const record = args as Record<string, unknown>;
  if (hasOwn(record, 'query')) context.contains_sql_injection = flag(record.query, detectSqlInjection);
  if (hasOwn(record, 'command')) context.contains_command_injection = flag(record.command, detectCommandInjection);
  if (hasOwn(record, 'path')) {
    const allowlist = options.pathAllowlist;
    // An absolute path inside an allowlisted directory leaves no base the operator cares about.
    const escapes = allowlist
      ? (path: string) => detectPathTraversal(path) && !isPathAllowed(path, allowlist)
      : detectPathTraversal;
    context.contains_path_traversal = flag(record.path, escapes);
    if (allowlist) {
      const texts = textsOf(record.path);
      context.path_whitelisted = texts !== null && texts.every((path) => isPathAllowed(path, allowlist));
    }
  }
  if (hasOwn(record, 'url')) {
    const url = record.url;
    const allowed = typeof url === 'string' && isDomainAllowed(url, options.domainAllowlist);
    context.domain_whitelisted = allowed;
    context.domain_approved = allowed;
  }
  return context;
}
