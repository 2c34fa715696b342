import { MAX_DECODE_ROUNDS, foldFullwidth, percentDecodeStrict } from './decode.js';

/**
 * One spelling per resource, so that a glob sees what the operation handler will touch:
 * `dataset://public/../phi/records`, `dataset://public/%2e%2e/phi/records` and
 * `dataset://public//．．//phi/records` are all `dataset://phi/records`. Exactly which forms are
 * rewritten and which are refused: docs/resources-and-detectors.md.
 */
export type CanonicalResource = { ok: true; resource: string } | { ok: false; reason: string };

const SLASH = 0x2f;
const DOT = 0x2e;
const COLON = 0x3a;

/** Length of `scheme://` at the start of the resource (RFC 3986 scheme syntax), or 0. */
function schemePrefixLength(resource: string): number {
  const first = resource.charCodeAt(0) | 0x20;
  if (first < 0x61 || first > 0x7a) return 0;
  for (let index = 1; index < resource.length; index++) {
    const code = resource.charCodeAt(index);
    if (code === COLON) {
      return resource.charCodeAt(index + 1) === SLASH && resource.charCodeAt(index + 2) === SLASH ? index + 3 : 0;
    }
    const lower = code | 0x20;
    const schemeChar = (lower >= 0x61 && lower <= 0x7a) || (code >= 0x30 && code <= 0x39) || code === 0x2b || code === 0x2d || code === DOT;
    if (!schemeChar) return 0;
  }
  return 0;
}

/**
 * True when the resource is already canonical and needs no decoding: printable ASCII without `%`
 * or `\`, a lower-case scheme, no empty segment after `scheme://`, no `.` or `..` segment. One pass
 * over the characters, nothing allocated: this runs on every policy evaluation.
 */
function isPlainCanonical(resource: string): boolean {
  const length = resource.length;
  const pathStart = schemePrefixLength(resource);
  for (let index = 0; index < pathStart - 3; index++) {
    const code = resource.charCodeAt(index);
    if (code >= 0x41 && code <= 0x5a) return false;
  }
  let segmentStart = pathStart;
  for (let index = pathStart; index <= length; index++) {
    const code = index < length ? resource.charCodeAt(index) : SLASH;
    if (code === SLASH) {
      const segmentLength = index - segmentStart;
      // An empty segment is a `//`, or a `/` right after `scheme://`; the end of the text is not one.
      if (segmentLength === 0 && index < length && (pathStart > 0 || index > 0)) return false;
      if (segmentLength === 1 && resource.charCodeAt(segmentStart) === DOT) return false;
      if (segmentLength === 2 && resource.charCodeAt(segmentStart) === DOT && resource.charCodeAt(segmentStart + 1) === DOT) return false;
      segmentStart = index + 1;
      continue;
    }
    if (code <= 0x20 || code >= 0x7f || code === 0x25 || code === 0x5c) return false;
  }
  return true;
}

/** Why a decoded character may not appear in a resource, or null when it may. */
function refusedCharacter(code: number): string | null {
  if (code === 0) return 'a NUL byte';
  if (code < 0x20 || code === 0x7f || (code >= 0x80 && code <= 0x9f)) return `a control character (U+${code.toString(16).toUpperCase().padStart(4, '0')})`;
  if (code === 0x5c) return 'a backslash, which file systems and URL parsers read as a separator';
  return null;
}

/** Unicode format characters: bidi overrides, zero-width spaces and joiners, BOM, soft hyphen. */
const FORMAT_CHARACTER = /\p{Cf}/u;
const LONE_SURROGATE = /\p{Cs}/u;

/** `what` says what is wrong, `fix` how to send it; a decoder reason carries its own fix. */
function refuse(resource: string, what: string, fix?: string): CanonicalResource {
  const shown = resource.length > 80 ? `${resource.slice(0, 77)}...` : resource;
  return { ok: false, reason: `resource ${JSON.stringify(shown)} ${what}${fix ? `; ${fix}` : ''}` };
}

/** Removes `.` and `..` segments and empty segments from a path, refusing a climb above its start. */
function resolveSegments(path: string): { ok: true; path: string } | { ok: false } {
  const segments = path.split('/');
  const kept: string[] = [];
  let trailingSlash = false;
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index];
    const last = index === segments.length - 1;
    if (segment === '' || segment === '.') {
      trailingSlash = last && index > 0;
      continue;
    }
    if (segment === '..') {
      if (kept.length === 0) return { ok: false };
      kept.pop();
      trailingSlash = last;
      continue;
    }
    kept.push(segment);
    trailingSlash = false;
  }
  const joined = kept.join('/');
  return { ok: true, path: trailingSlash && kept.length > 0 ? `${joined}/` : joined };
}

/**
 * The canonical spelling of a resource, or why it is refused.
 *
 * Rewritten: percent-encoding (repeatedly, up to MAX_DECODE_ROUNDS, so `%252e` is `.`), Unicode
 * NFC, fullwidth ASCII (U+FF01–U+FF5E), the scheme's case, `.` and `..` segments, runs of `/`
 * (`scheme://` itself is kept; a leading `/` of a resource without a scheme is kept too).
 * Refused: a `..` above the first segment after `scheme://`, NUL, control and Unicode format
 * characters, backslashes, leading or trailing whitespace, invalid or overlong UTF-8, `%uXXXX`,
 * lone surrogates, and encodings nested deeper than MAX_DECODE_ROUNDS.
 *
 * A resource that is already canonical plain ASCII comes back as the same string, unexamined
 * further, from a single scan.
 */
export function canonicalResource(resource: string): CanonicalResource {
  if (isPlainCanonical(resource)) return { ok: true, resource };
  if (LONE_SURROGATE.test(resource)) {
    return refuse(resource, 'contains a lone UTF-16 surrogate', 'send well-formed Unicode text');
  }

  let decoded = resource;
  for (let round = 0; ; round++) {
    const result = percentDecodeStrict(decoded);
    if (!result.ok) return refuse(resource, `cannot be decoded: ${result.reason}`);
    const next = foldFullwidth(result.text.normalize('NFC'));
    if (next === decoded) break;
    if (round === MAX_DECODE_ROUNDS) {
      return refuse(resource, `is percent-encoded more than ${MAX_DECODE_ROUNDS} times over`, 'encode it once (a literal % is %25)');
    }
    decoded = next;
  }

  for (let index = 0; index < decoded.length; index++) {
    const problem = refusedCharacter(decoded.charCodeAt(index));
    if (problem) return refuse(resource, `contains ${problem} (offset ${index} after decoding)`, 'resources use / as the only separator and printable characters only');
  }
  if (FORMAT_CHARACTER.test(decoded)) {
    return refuse(resource, 'contains an invisible Unicode format character (bidi control, zero-width space or joiner, BOM, soft hyphen)', 'remove it: it makes the resource read differently from what it matches');
  }
  const prefix = schemePrefixLength(decoded);
  const scheme = decoded.slice(0, prefix).toLowerCase();
  const path = decoded.slice(prefix);
  const absolute = prefix === 0 && path.startsWith('/');
  const resolved = resolveSegments(path);
  if (!resolved.ok) {
    return refuse(resource, prefix > 0 ? `climbs with .. above the first segment after ${scheme}` : 'climbs with .. above its first segment', 'name the resource without .. segments');
  }
  const canonical = `${scheme}${absolute ? '/' : ''}${resolved.path}`;
  // Checked on the result: removing `./` can bring whitespace to the front (`./ x`).
  if (canonical.trim() !== canonical) {
    return refuse(resource, 'has leading or trailing whitespace', 'send it without');
  }
  return { ok: true, resource: canonical };
}
