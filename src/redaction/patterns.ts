/**
 * Values that are secrets whatever key they sit under. Each is replaced in place, so the rest of a
 * sentence ("failed with Bearer …") stays readable.
 *
 * Every pattern runs over caller-supplied text on the worker's only thread, so each is written to
 * stay linear in its input: a match can start only where a run of the characters it consumes starts
 * (startingWith), repetitions are of single character classes or bounded, and no repeated group
 * can split the same text two ways.
 */
import { REDACTED } from './marker.js';

export interface SecretPattern {
  /** What it finds, for docs and tests. */
  readonly name: string;
  /** Global: every match is replaced. */
  readonly regex: RegExp;
  /** The text that replaces a match; a function may keep part of it, or all of it for a false alarm. */
  readonly replace: string | ((match: string, ...groups: string[]) => string);
}

const TOKEN_CHAR = 'A-Za-z0-9_-';

/**
 * `prefix`, where a match may start: after a character outside `chars`, or right after a
 * percent-escape or a JSON escape, so that `%20ghp_…` in a form body and `\\nBearer …` in JSON text
 * are found too. The prefix comes first and the boundary is checked behind it: V8 finds a literal
 * prefix fast, while a pattern that opens with an alternation of lookbehinds costs a microsecond per
 * character of every string redacted.
 */
const startingWith = (prefix: string, chars: string) =>
  `(?:${prefix})(?<=(?:(?<![${chars}])|(?<=%[0-9A-Fa-f]{2}|\\\\[bfnrt]|\\\\u[0-9A-Fa-f]{4}))(?:${prefix}))`;

export const DEFAULT_SECRET_PATTERNS: readonly SecretPattern[] = [
  {
    name: 'PEM private key block',
    // The body may hold headers (Proc-Type: 4,ENCRYPTED) and JSON-escaped newlines; a single dash
    // is allowed only where "----END" does not follow, so the END line is matched, not swallowed.
    // Without an END line the rest of the base64 body goes, since the key is in it.
    regex: /-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----(?:[A-Za-z0-9+/=\s:,.\\]|-(?!----END))*(?:-----END[A-Z0-9 ]{0,64}-----)?/g,
    replace: REDACTED,
  },
  {
    name: 'JSON Web Token',
    regex: new RegExp(`${startingWith('eyJ', TOKEN_CHAR)}[${TOKEN_CHAR}]{5,}\\.[${TOKEN_CHAR}]{2,}\\.[${TOKEN_CHAR}]*`, 'g'),
    replace: REDACTED,
  },
  {
    name: 'password in a URL (postgres://user:password@host, any scheme)',
    // The password may hold a single '/', never '//', so its scan stops at the next "://".
    regex: /:\/\/([^\s:/@]{0,256}):((?:[^\s@/]|\/(?!\/)){1,1024})@/g,
    replace: (_match, user) => `://${user}:${REDACTED}@`,
  },
  {
    name: 'password in a percent-encoded URL (postgres%3A%2F%2Fuser%3Apassword%40host, in query strings and form bodies)',
    // As above, the password's scan stops at the next encoded '/', so at the next encoded "://".
    regex: /(%3A%2F%2F[^\s:/@%]{0,256}%3A)(?:[^\s@/%]|%(?!40|2[Ff])[0-9A-Fa-f]{2}){1,1024}(%40)/gi,
    replace: `$1${REDACTED}$2`,
  },
  {
    name: 'Basic credentials (Basic base64(user:password))',
    regex: new RegExp(`(${startingWith('Basic', 'A-Za-z0-9_')})(\\s+)([A-Za-z0-9+/]{4,}={0,2})`, 'gi'),
    replace: (match, scheme, space, encoded) => (decodesToCredentials(encoded) ? `${scheme}${space}${REDACTED}` : match),
  },
  {
    name: 'Bearer credentials (RFC 6750)',
    regex: new RegExp(`(${startingWith('Bearer', 'A-Za-z0-9_')})\\s+[A-Za-z0-9\\-._~+/]+=*`, 'gi'),
    replace: `$1 ${REDACTED}`,
  },
  {
    name: 'Slack token (xoxb-, xoxp-, xoxa-, xoxr-, xoxe-, xoxs-, xoxo-) or app-level token (xapp-)',
    regex: new RegExp(`${startingWith('xox[abeoprs]|xapp', 'A-Za-z0-9-')}-[A-Za-z0-9-]+`, 'g'),
    replace: REDACTED,
  },
  {
    name: 'Slack incoming webhook URL',
    regex: /(hooks\.slack\.com\/(?:services|workflows|triggers)\/)[A-Za-z0-9_/-]+/g,
    replace: `$1${REDACTED}`,
  },
  {
    name: 'OpenAI or Anthropic API key (sk-proj-, sk-ant-, sk-svcacct-, sk-admin-, or sk- and 32+ characters)',
    regex: new RegExp(`${startingWith('sk-', TOKEN_CHAR)}(?:(?:proj|ant|svcacct|admin)-[${TOKEN_CHAR}]{16,}|[A-Za-z0-9]{32,})`, 'g'),
    replace: REDACTED,
  },
  {
    name: 'GitHub token (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_)',
    regex: new RegExp(`(?:${startingWith('gh[pousr]_', 'A-Za-z0-9_')}[A-Za-z0-9]{30,}|${startingWith('github_pat_', 'A-Za-z0-9_')}[A-Za-z0-9_]{22,})`, 'g'),
    replace: REDACTED,
  },
  {
    name: 'Stripe secret or restricted key (sk_live_, rk_live_, sk_test_, rk_test_)',
    regex: new RegExp(`${startingWith('[sr]k_(?:live|test)_', 'A-Za-z0-9_')}[A-Za-z0-9]{10,}`, 'g'),
    replace: REDACTED,
  },
  {
    name: 'Google API key (AIza…)',
    regex: new RegExp(`${startingWith('AIza', TOKEN_CHAR)}[${TOKEN_CHAR}]{35}`, 'g'),
    replace: REDACTED,
  },
  {
    name: 'AWS access key id (AKIA…, ASIA…)',
    regex: new RegExp(`${startingWith('AKIA|ASIA', 'A-Za-z0-9_')}[0-9A-Z]{16}(?![A-Za-z0-9_])`, 'g'),
    replace: REDACTED,
  },
  {
    name: 'Tollgate approver token (tg_ and 43 base64url characters)',
    regex: new RegExp(`${startingWith('tg_', TOKEN_CHAR)}[${TOKEN_CHAR}]{43}`, 'g'),
    replace: REDACTED,
  },
  {
    name: 'payment card number (Luhn-valid, 13 to 19 digits, optionally grouped by spaces or dashes)',
    regex: new RegExp(`${startingWith('[2-6]', '0-9A-Za-z')}[0-9]{3}(?:[ -]?[0-9]){9,15}(?![0-9A-Za-z])`, 'g'),
    replace: (match) => (isCardNumber(match) ? REDACTED : match),
  },
  {
    name: 'secret assignment (password=…, token=…, api_key=… in query strings, DSNs and env dumps)',
    regex: new RegExp(`(${startingWith('password|passwd|passphrase|secret|token|api[_-]?key', 'A-Za-z0-9')}[ \\t]{0,8}=[ \\t]{0,8})[^\\s"'&;,]{1,1024}`, 'gi'),
    replace: `$1${REDACTED}`,
  },
  {
    name: 'secret member of JSON text ("password": "…")',
    regex: /("[A-Za-z0-9_-]{0,64}(?:password|passwd|passphrase|secret|token|api[_-]?key)"\s{0,8}:\s{0,8}")(?:[^"\\\r\n]|\\.){1,4096}"/gi,
    replace: `$1${REDACTED}"`,
  },
];

/**
 * A text without any of these cannot hold a default secret: one quick scan lets most strings
 * (identifiers, actions, prose) skip the patterns. Each pattern above needs one of them; the
 * positive cases in test/unit/redact.test.ts fail if one is missing.
 */
export const MAY_HOLD_DEFAULT_SECRET = /-----BEGIN|eyJ|:\/\/|%3A%2F%2F|basic|bearer|xox|xapp|hooks\.slack\.com|sk-|gh[pousr]_|github_pat_|[sr]k_|AIza|AKIA|ASIA|tg_|[2-6][0-9]{3}|pass|secret|token|api[_-]?key/i;

/**
 * A payment card number: 13 to 19 digits that pass the Luhn check, written as one run or in the
 * groups cards print (4-4-4-4[-1..3], Amex 4-6-5, Diners 4-6-4). Order numbers, dates and phone
 * numbers fail one test or the other.
 */
export function isCardNumber(text: string): boolean {
  const groups = text.split(/[ -]/);
  const digits = groups.join('');
  if (digits.length < 13 || digits.length > 19 || !/^[2-6]/.test(digits)) return false;
  if (groups.length > 1 && !isCardGrouping(groups.map((group) => group.length))) return false;
  return luhnValid(digits);
}

function isCardGrouping(lengths: number[]): boolean {
  if (lengths.length === 3 && lengths[0] === 4 && lengths[1] === 6 && (lengths[2] === 4 || lengths[2] === 5)) return true;
  const last = lengths[lengths.length - 1];
  return lengths.slice(0, -1).every((length) => length === 4) && last >= 1 && last <= 4;
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Whether base64 text decodes to `user:password` (printable, with a colon), which is what Basic
 * credentials are; "Basic setup" in prose does not. Decoded by hand: workflow code has no Buffer.
 */
function decodesToCredentials(encoded: string): boolean {
  const text = encoded.replace(/=+$/, '');
  if (text.length % 4 === 1) return false;
  let bits = 0;
  let bitCount = 0;
  let colon = false;
  for (const char of text) {
    bits = ((bits << 6) | BASE64.indexOf(char)) & 0xffffff;
    bitCount += 6;
    if (bitCount >= 8) {
      bitCount -= 8;
      const byte = (bits >> bitCount) & 0xff;
      if (byte < 0x20 || byte === 0x7f) return false;
      if (byte === 0x3a) colon = true;
    }
  }
  return colon;
}
