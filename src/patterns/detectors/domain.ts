import { domainToASCII } from 'node:url';

/**
 * Allow-list check for outbound URLs. The URL is parsed the WHATWG way (`new URL`, what fetch and
 * undici use), which lower-cases the host, maps IDNs to punycode, drops a trailing dot and
 * decodes percent-escapes in the host; the decision is then made on the host alone, so a port
 * or `user:pass@` in front of an allowed host do not matter, and `api.example.com@evil.com`
 * (host: evil.com) is refused.
 */

/**
 * Parsers disagree about backslashes (`https://evil.com\\@api.example.com` is evil.com to WHATWG
 * and api.example.com to Python's urllib), whitespace and control characters (WHATWG deletes
 * tabs and newlines anywhere, others keep or encode them), and a missing `//`
 * (`https:api.example.com`). An HTTP client that reads the authority differently from this check
 * would reach another host, so a URL with any of these before its path, or with whitespace around
 * it, is refused. After the authority they cannot move the host, so `?q=a b` is fine.
 */
const HTTP_AUTHORITY = /^https?:\/\/([^/?#]*)/i;
const AMBIGUOUS_IN_AUTHORITY = /[\\\s\u0000-\u001f\u007f]/;

function unambiguous(url: string): boolean {
  const authority = HTTP_AUTHORITY.exec(url);
  return authority !== null && url.trim() === url && !AMBIGUOUS_IN_AUTHORITY.test(authority[1]);
}

/**
 * Allow-list entries: `api.example.com` (exactly that host, any port), `*.example.com` (any
 * subdomain, not example.com itself), either with `:port` to allow only that port.
 */
function entryMatches(entry: string, host: string, port: string): boolean {
  const match = /^(\*\.)?([^*:/\s@]+?)\.?(?::(\d+))?$/.exec(entry.trim().toLowerCase());
  if (!match) return false;
  const [, wildcard, domain, entryPort] = match;
  const ascii = domainToASCII(domain);
  if (ascii === '') return false;
  if (entryPort !== undefined && entryPort !== port) return false;
  return wildcard ? host.endsWith(`.${ascii}`) : host === ascii;
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443' };

/** True when the URL is http(s) and its host is on the allowlist (see entryMatches). */
export function isDomainAllowed(url: string, allowlist: readonly string[]): boolean {
  if (typeof url !== 'string' || !unambiguous(url)) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const host = parsed.hostname.replace(/\.$/, '');
  if (host === '') return false;
  const port = parsed.port || DEFAULT_PORTS[parsed.protocol];
  return allowlist.some((entry) => entryMatches(entry, host, port));
}
