/**
 * Which keys name secrets. Short names (`pass`, `auth`, `card`) match whole words of a key only, or
 * `compass`, `author` and `discard` would vanish from every approval message; long distinctive names
 * (`password`, `token`) match anywhere, so `dbpassword` and `refreshtoken` are caught too.
 */
import { compileUserRegex } from './userRegex.js';

export interface SecretKeyRule {
  /** How the rule reads in config and in error messages. */
  readonly source: string;
  /** Whether a number under the key is secret too: a PIN is, a token count is not. */
  readonly numbersAreSecret: boolean;
  matches(key: KeyForms): boolean;
}

/** A key in the forms rules look at. */
export interface KeyForms {
  /** As written. */
  readonly raw: string;
  /** Lower case, letters and digits only: `X-Api-Key` -> `xapikey`. */
  readonly compact: string;
  /** Its words, lower case, space-separated and space-padded: `cardNumber` -> ` card number `. */
  readonly words: string;
}

/** Matched anywhere in the compact form. */
const ANYWHERE: readonly (readonly [string, boolean])[] = [
  ['password', true], ['passwd', true], ['passphrase', true], ['secret', true], ['privatekey', true],
  ['token', false], ['apikey', false], ['authorization', false], ['cookie', false], ['credential', false],
];

/** Matched as whole words (`card` in `card_number` and `creditCard`, not in `discard`). */
const WHOLE_WORDS: readonly (readonly [string, boolean])[] = [
  ['pass', true], ['pwd', true], ['ssn', true], ['cvv', true], ['cvc', true], ['card', true],
  ['auth', false],
];

/** The built-in key names, as `tollgate` documents them. */
export const DEFAULT_SECRET_KEYS: readonly string[] = [...ANYWHERE, ...WHOLE_WORDS].map(([name]) => name);

export function defaultKeyRules(): SecretKeyRule[] {
  return [
    ...ANYWHERE.map(([name, numbersAreSecret]) => ({ source: name, numbersAreSecret, matches: (key: KeyForms) => key.compact.includes(name) })),
    ...WHOLE_WORDS.map(([name, numbersAreSecret]) => wordRule(name, numbersAreSecret)),
  ];
}

const NAME = /^[A-Za-z0-9_-]+$/;

/**
 * A configured key: a plain name (`session_id`) matches those words anywhere in a key (`sessionId`,
 * `x-session-id`); anything else is a regular expression tested against the key as written, ignoring
 * case. Numbers under a configured key are always secret: the operator said the key is.
 */
export function configuredKeyRule(entry: string): { ok: true; rule: SecretKeyRule } | { ok: false; message: string } {
  if (NAME.test(entry)) return { ok: true, rule: wordRule(entry, true) };
  const compiled = compileUserRegex(entry, 'i');
  if (!compiled.ok) return compiled;
  const { regex } = compiled;
  return { ok: true, rule: { source: entry, numbersAreSecret: true, matches: (key) => regex.test(key.raw) } };
}

function wordRule(name: string, numbersAreSecret: boolean): SecretKeyRule {
  const needle = ` ${keyWords(name).join(' ')} `;
  return { source: name, numbersAreSecret, matches: (key) => key.words.includes(needle) };
}

export function keyForms(raw: string): KeyForms {
  const words = keyWords(raw);
  return { raw, compact: words.join(''), words: ` ${words.join(' ')} ` };
}

/**
 * Split a key into lower-case words at separators and case changes: `HTTPProxyAuth` -> http, proxy,
 * auth; `sha256Hash` -> sha256, hash. A loop rather than a regex: keys come from callers, and the
 * usual camel-case regexes backtrack quadratically on long upper-case runs.
 */
export function keyWords(key: string): string[] {
  const words: string[] = [];
  let word = '';
  const flush = () => {
    if (word) words.push(word.toLowerCase());
    word = '';
  };
  for (let i = 0; i < key.length; i += 1) {
    const char = key[i];
    const kind = charKind(char);
    if (kind === 'other') {
      flush();
      continue;
    }
    if (kind === 'upper' && word) {
      const previous = charKind(key[i - 1]);
      const nextIsLower = i + 1 < key.length && charKind(key[i + 1]) === 'lower';
      // fooBar -> foo|Bar; HTTPServer -> HTTP|Server.
      if (previous === 'lower' || previous === 'digit' || (previous === 'upper' && nextIsLower)) flush();
    }
    word += char;
  }
  flush();
  return words;
}

function charKind(char: string): 'lower' | 'upper' | 'digit' | 'other' {
  if (char >= 'a' && char <= 'z') return 'lower';
  if (char >= 'A' && char <= 'Z') return 'upper';
  if (char >= '0' && char <= '9') return 'digit';
  return 'other';
}
