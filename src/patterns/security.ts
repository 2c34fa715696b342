import { posix } from 'node:path';
import { domainToASCII } from 'node:url';

/**
 * Detectors behind the security-hardening and enterprise presets (seed: SecurityValidation and
 * prepare_security_context). They are tripwires for agent-authored arguments, not a sanitiser:
 * a `false` does not make an argument safe, and the tools themselves must still use
 * parameterised queries, argv-style process calls and a chroot-like base directory.
 *
 * What they cannot catch, by design of pattern matching:
 * - SQL: injection that forms one well-formed statement without a tautology, UNION, stacked
 *   query or comment (`WHERE id = 1 OR 2 > 1`), encoded payloads (`CHAR(59)`, hex literals),
 *   second-order injection from stored data, dialect-specific syntax not listed below.
 * - Commands: anything that is harmful as a single command (`rm -rf ~`), option injection
 *   (`--output=/etc/passwd`), and metacharacters for shells other than POSIX sh / bash / cmd.
 *   It does not parse quotes, so quoted metacharacters (`git commit -m "a; b"`) are flagged too:
 *   a false positive denies, which is the safe side.
 * - Paths: symlinks inside an allowed directory that point outside it (only the filesystem
 *   knows), and encodings other than percent-encoding.
 * - URLs: a hostname on the allowlist that resolves to an internal address (DNS rebinding),
 *   and redirects followed by the HTTP client after the check.
 */

const SQL_INJECTION_PATTERNS: readonly RegExp[] = [
  // A second statement after the first: `1; DROP TABLE users`. The seed checked DROP, DELETE, EXEC.
  /;\s*(?:drop|delete|insert|update|alter|create|truncate|grant|revoke|shutdown|exec(?:ute)?|declare|merge|attach|copy)\b/i,
  // Tautologies that make a WHERE clause always true: `' OR '1'='1`, `OR 1=1`, `AND 'a'='a`.
  /\b(?:or|and)\s+(['"]?)(\w+)\1\s*=\s*['"]?\2\b/i,
  /\bor\s+(['"])\1\s*=\s*\1/i,
  // Closing a string literal and commenting out the rest: `admin'--`, `x' /*`.
  /['"]\s*(?:--|\/\*)/,
  // The seed's trailing `--` and inline `/* ... */` comments.
  /--\s*$/,
  /\/\*[\s\S]*?\*\//,
  /\bunion\b(?:\s+(?:all|distinct))?\s+select\b/i,
  /\bexec(?:ute)?\s*\(|\bexec(?:ute)?\s+(?:xp|sp)_\w+/i,
  // Blind injection probes and file access.
  /\b(?:pg_)?sleep\s*\(|\bbenchmark\s*\(|\bwaitfor\s+delay\b/i,
  /\binto\s+(?:out|dump)file\b|\bload_file\s*\(/i,
];

/** True when the query looks like it carries an injection. */
export function detectSqlInjection(query: string): boolean {
  return SQL_INJECTION_PATTERNS.some((pattern) => pattern.test(query));
}

// Separators (; | & newline), substitution (` $( ${), variable expansion ($HOME, $1, $?) and
// redirection (< >). The seed also flagged every `(`, `)` and `\`, which are harmless on
// their own in a command line and made file names like "report (1).pdf" look like attacks.
const COMMAND_INJECTION = /[;|&`<>\n\r\0]|\$[({A-Za-z0-9_@*#?$!-]/;

/** True when the command contains shell syntax that could chain, substitute or redirect. */
export function detectCommandInjection(command: string): boolean {
  return COMMAND_INJECTION.test(command);
}

/** The path as given plus up to three rounds of percent-decoding (`%2e%2e%2f`, `%252e`). */
function decodedVariants(path: string): string[] {
  const variants = [path];
  let current = path;
  for (let round = 0; round < 3; round++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      break;
    }
    if (next === current) break;
    variants.push(next);
    current = next;
  }
  return variants;
}

/** Backslashes are separators on Windows and in many tools that accept both. */
const normalise = (path: string) => posix.normalize(path.replace(/\\/g, '/'));

const hasParentSegment = (normalised: string) => normalised.split('/').includes('..');

function escapesBase(path: string): boolean {
  if (path.includes('\0')) return true;
  const unified = path.replace(/\\/g, '/');
  // Drive letters (C:/...) and home expansion (~/.ssh, ~root) leave any base directory.
  if (/^[A-Za-z]:/.test(unified) || unified.startsWith('~')) return true;
  const normalised = normalise(path);
  return posix.isAbsolute(normalised) || hasParentSegment(normalised);
}

/**
 * True when the path could leave the directory a tool resolves it against: a `..` segment that
 * survives normalisation, an absolute path, a drive letter, `~`, a NUL byte, in the raw path or
 * after percent-decoding. `a/../b` and `file..txt` stay inside and are not flagged.
 */
export function detectPathTraversal(path: string): boolean {
  return decodedVariants(path).some(escapesBase);
}

/**
 * True when the path stays inside one of the allowed directories (`/tmp/agent`, `out/`) in
 * every decoding. Backs the security preset's `path_whitelisted` key.
 */
export function isPathAllowed(path: string, allowlist: readonly string[]): boolean {
  const roots = allowlist.map((entry) => normalise(entry).replace(/\/+$/, '') || '/');
  return decodedVariants(path).every((variant) => {
    if (variant.includes('\0')) return false;
    const normalised = normalise(variant);
    if (hasParentSegment(normalised)) return false;
    return roots.some((root) => normalised === root || normalised.startsWith(root === '/' ? '/' : `${root}/`));
  });
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443' };

/**
 * Allowlist entries: `api.example.com` (exactly that host), `*.example.com` (any subdomain, not
 * example.com itself), either with `:port`. An entry without a port allows only the scheme's
 * default port, as the seed's comparison of `netloc` did.
 */
function entryMatches(entry: string, host: string, port: string, protocol: string): boolean {
  const match = /^(\*\.)?([^*:/\s@]+?)\.?(?::(\d+))?$/.exec(entry.trim().toLowerCase());
  if (!match) return false;
  const [, wildcard, domain, entryPort] = match;
  const ascii = domainToASCII(domain);
  if (ascii === '') return false;
  if ((entryPort ?? DEFAULT_PORTS[protocol]) !== port) return false;
  return wildcard ? host.endsWith(`.${ascii}`) : host === ascii;
}

/**
 * True when the URL is http(s) to an allowlisted host. Hostnames are compared exactly after
 * WHATWG parsing (lower case, punycode, trailing dot dropped), never by substring, so
 * `https://api.example.com@evil.com` and `https://api.example.com.evil.com` are refused.
 */
export function isDomainAllowed(url: string, allowlist: readonly string[]): boolean {
  // Parsers disagree about backslashes, whitespace and a missing `//`; HTTP clients that read
  // the URL differently from us would reach another host, so refuse anything ambiguous.
  if (!/^https?:\/\/[^\\\s]*$/i.test(url)) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.username !== '' || parsed.password !== '') return false;
  const host = parsed.hostname.replace(/\.$/, '');
  const port = parsed.port || DEFAULT_PORTS[parsed.protocol];
  return allowlist.some((entry) => entryMatches(entry, host, port, parsed.protocol));
}

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
