import { posix } from 'node:path';
import { inspectionForms } from '../../policy/decode.js';

/**
 * Path traversal: a path that leaves the directory a tool resolves it against. Judged on every
 * form from the shared decoder (percent-encoding single, double and overlong, `%uXXXX`, numeric
 * entities, fullwidth and lookalike slashes and dots), with `\` read as a separator, because
 * Windows, many archivers and most web servers read it so.
 */

/** `...`, `.. `, `..;x`: spelled so a filter that looks for `..` misses it, read as `..` by Windows or Tomcat. */
const DISGUISED_PARENT = /^\.\.[. ]*(?:;.*)?$/;
const PARENT = '..';
/** `~`, `~/x`, `~root/x`: a shell or a tool that expands them leaves the base; `~$doc.docx` does not. */
const HOME = /^~(?:[A-Za-z_][\w-]*)?(?:\/|$)/;

interface Resolution {
  /** The path can only mean something outside the base, whatever the base is. */
  escapes: boolean;
  /** Separators unified, `.` and `..` resolved; `..` left at the front when it climbs out. */
  normalised: string;
}

/** `http://host`, `s3://bucket`: a URL given as a path, whose own path starts after the authority. */
const URL_AUTHORITY = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*/;

/** A `..` that climbs above where the segments start (posix.normalize drops those at the root). */
function climbs(segments: readonly string[]): boolean {
  let depth = 0;
  for (const segment of segments) {
    if (segment === '' || segment === '.') continue;
    if (segment === PARENT) {
      if (depth === 0) return true;
      depth -= 1;
    } else depth += 1;
  }
  return false;
}

function resolve(form: string): Resolution {
  const unified = form.replace(/\\/g, '/');
  const normalised = posix.normalize(unified);
  // NUL ends the path for C APIs (`file.txt\0.png`); drive letters, `~`, `file:` (also Java's
  // `url:file:` and `jar:file:`) and absolute paths (the seed counts every absolute path) leave
  // any base directory.
  if (form.includes('\0') || /^[A-Za-z]:/.test(unified) || HOME.test(unified) || /^(?:[a-z]+:)?file:/i.test(unified)) {
    return { escapes: true, normalised };
  }
  if (posix.isAbsolute(normalised)) return { escapes: true, normalised };
  const segments = unified.split('/');
  if (segments.some((segment) => segment !== PARENT && DISGUISED_PARENT.test(segment))) return { escapes: true, normalised };
  const authority = URL_AUTHORITY.exec(unified);
  if (authority) return { escapes: climbs(unified.slice(authority[0].length).split('/')), normalised };
  return { escapes: climbs(segments), normalised };
}

/**
 * True when the path could leave the directory a tool resolves it against: a `..` that survives
 * normalisation, a disguised `..` (`....//`, `..;/`, `.. /`), an absolute path, a drive letter,
 * `~` or `~user/`, `file:`, a NUL byte, in the path as given or in any decoded form. `a/../b`, `file..txt`
 * and `..hidden/x` stay inside and are not flagged.
 */
export function detectPathTraversal(path: string): boolean {
  return inspectionForms(path).some((form) => resolve(form).escapes);
}

/**
 * True when the path stays inside one of the allowed directories (`/tmp/agent`, `out/`) in every
 * decoded form. Backs the security preset's `path_whitelisted` key.
 */
export function isPathAllowed(path: string, allowlist: readonly string[]): boolean {
  const roots = allowlist.map((entry) => posix.normalize(entry.replace(/\\/g, '/')).replace(/\/+$/, '') || '/');
  return inspectionForms(path).every((form) => {
    if (form.includes('\0') || form.replace(/\\/g, '/').split('/').some((segment) => DISGUISED_PARENT.test(segment) && segment !== PARENT)) return false;
    const { normalised } = resolve(form);
    if (normalised.split('/').includes(PARENT)) return false;
    return roots.some((root) => normalised === root || normalised.startsWith(root === '/' ? '/' : `${root}/`));
  });
}
