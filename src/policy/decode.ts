/**
 * Decoding shared by the resource canonicaliser (src/policy/canonical.ts) and the security
 * detectors (src/patterns/security.ts). Pure functions, no imports from the rest of Tollgate.
 *
 * Two uses, two strictness levels:
 * - Canonicalisation must be exact, so it decodes percent-encoding strictly and refuses what a
 *   correct UTF-8 decoder would refuse (overlong forms, stray continuation bytes, `%uXXXX`).
 * - Inspection must see what the most careless decoder downstream might see, so it decodes
 *   leniently: overlong forms become the character they spell, IIS `%uXXXX` escapes and HTML
 *   numeric references are decoded, and compatibility forms are folded (NFKC, lookalike
 *   slashes, Unicode line breaks, invisible characters removed). A detector judges every form.
 *
 * Every function is a single left-to-right pass (no regex backtracking), so decoding is linear
 * in the input; repetition is bounded by MAX_DECODE_ROUNDS.
 */

/** Rounds of decoding before the input counts as hostile: real clients encode once, proxies twice. */
export const MAX_DECODE_ROUNDS = 4;

export type DecodeResult = { ok: true; text: string } | { ok: false; reason: string };

const PERCENT = 0x25;

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** The byte of a `%XX` escape at `index`, or -1 when there is none. */
function escapedByte(text: string, index: number): number {
  if (index + 2 >= text.length || text.charCodeAt(index) !== PERCENT) return -1;
  const high = hexValue(text.charCodeAt(index + 1));
  const low = hexValue(text.charCodeAt(index + 2));
  return high < 0 || low < 0 ? -1 : (high << 4) | low;
}

/** Bytes of the run of `%XX` escapes starting at `index` (empty when there is no escape there). */
function escapedRun(text: string, index: number): number[] {
  const bytes: number[] = [];
  for (let at = index; ; at += 3) {
    const byte = escapedByte(text, at);
    if (byte < 0) return bytes;
    bytes.push(byte);
  }
}

/** Length of the UTF-8 sequence a lead byte announces, counting the obsolete 5- and 6-byte forms. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead < 0xc0) return 0; // a continuation byte cannot start a sequence
  if (lead < 0xe0) return 2;
  if (lead < 0xf0) return 3;
  if (lead < 0xf8) return 4;
  if (lead < 0xfc) return 5;
  if (lead < 0xfe) return 6;
  return 0;
}

const SHORTEST_FORM_MINIMUM = [0, 0, 0x80, 0x800, 0x10000, 0x200000, 0x4000000];

interface Sequence {
  /** Code point spelled by the bytes, or -1 when they spell nothing. */
  codePoint: number;
  /** Bytes consumed (at least 1). */
  length: number;
  /** The bytes spell a code point in more bytes than UTF-8 allows. */
  overlong: boolean;
}

/** Reads one UTF-8 sequence from `bytes` at `at`, keeping overlong and 5/6-byte forms visible. */
function readSequence(bytes: readonly number[], at: number): Sequence {
  const lead = bytes[at];
  const length = sequenceLength(lead);
  if (length === 0) return { codePoint: -1, length: 1, overlong: false };
  if (length === 1) return { codePoint: lead, length: 1, overlong: false };
  if (at + length > bytes.length) return { codePoint: -1, length: 1, overlong: false };
  let codePoint = lead & (0x7f >> length);
  for (let k = 1; k < length; k++) {
    const byte = bytes[at + k];
    if ((byte & 0xc0) !== 0x80) return { codePoint: -1, length: 1, overlong: false };
    codePoint = codePoint * 64 + (byte & 0x3f);
  }
  return { codePoint, length, overlong: codePoint < SHORTEST_FORM_MINIMUM[length] };
}

const isSurrogate = (codePoint: number) => codePoint >= 0xd800 && codePoint <= 0xdfff;
const escapeText = (bytes: readonly number[], from: number, count: number) =>
  bytes.slice(from, from + count).map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
const describe = (codePoint: number) =>
  codePoint >= 0x21 && codePoint <= 0x7e ? `'${String.fromCharCode(codePoint)}'` : `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * One round of RFC 3986 percent-decoding with strict UTF-8: overlong forms, surrogates, code points
 * above U+10FFFF, truncated or stray bytes are refused with a reason naming the escape. A `%` that
 * does not start `%XX` is kept as it is (it cannot mean anything else); `%uXXXX` is refused because
 * IIS decodes it and no standard does.
 */
export function percentDecodeStrict(text: string): DecodeResult {
  if (text.indexOf('%') < 0) return { ok: true, text };
  let out = '';
  let index = 0;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code !== PERCENT) {
      out += text[index];
      index += 1;
      continue;
    }
    if ((text.charCodeAt(index + 1) | 0x20) === 0x75 && hexRun(text, index + 2, 4)) {
      return { ok: false, reason: `${text.slice(index, index + 6)} at offset ${index} is not percent-encoding; send the character itself or its UTF-8 bytes as %XX` };
    }
    const bytes = escapedRun(text, index);
    if (bytes.length === 0) {
      out += '%';
      index += 1;
      continue;
    }
    for (let at = 0; at < bytes.length;) {
      const sequence = readSequence(bytes, at);
      const offset = index + at * 3;
      if (sequence.codePoint < 0 || sequence.length > 4 || sequence.codePoint > 0x10ffff || isSurrogate(sequence.codePoint)) {
        return { ok: false, reason: `${escapeText(bytes, at, Math.max(1, sequence.length))} at offset ${offset} is not valid UTF-8; percent-encode the UTF-8 bytes of the character you mean` };
      }
      if (sequence.overlong) {
        return { ok: false, reason: `${escapeText(bytes, at, sequence.length)} at offset ${offset} is an overlong UTF-8 encoding of ${describe(sequence.codePoint)}; send ${describe(sequence.codePoint)} itself` };
      }
      out += String.fromCodePoint(sequence.codePoint);
      at += sequence.length;
    }
    index += bytes.length * 3;
  }
  return { ok: true, text: out };
}

function hexRun(text: string, from: number, count: number): boolean {
  if (from + count > text.length) return false;
  for (let k = 0; k < count; k++) if (hexValue(text.charCodeAt(from + k)) < 0) return false;
  return true;
}

/**
 * What a careless decoder reads from an overlong lead byte followed by bytes that are not
 * continuation bytes, as `{ codePoint, length }`, or null. Old IIS, Tomcat and Java decoders
 * masked the bits without checking them (`%c1%1c` is `\`, `%e0%40%ae` is `.`) or dropped the
 * lead byte (`%c0%5c` is `\`, `%c0%2e` is `.`). Only the lead bytes C0, C1 and E0 are read this
 * way, and only to ASCII: these sequences are invalid in every UTF-8 text, so no honest input
 * loses anything by it.
 */
function carelessOverlong(bytes: readonly number[], at: number): { codePoint: number; length: number } | null {
  const lead = bytes[at];
  const second = bytes[at + 1];
  if (second === undefined) return null;
  if (lead === 0xc0 && second < 0x80) return { codePoint: second, length: 2 };
  if (lead === 0xc1 && second < 0x80) return { codePoint: 0x40 | (second & 0x3f), length: 2 };
  const third = bytes[at + 2];
  if (lead === 0xe0 && third !== undefined) {
    const codePoint = ((second & 0x3f) << 6) | (third & 0x3f);
    if (codePoint < 0x80) return { codePoint, length: 3 };
  }
  return null;
}

/**
 * One round of percent-decoding the way the most permissive decoder would do it: overlong and
 * 5/6-byte forms become what they spell (`%c0%ae` and `%e0%80%ae` are `.`), so do the invalid
 * forms careless decoders accepted (`%c0%2f`, `%c1%1c`, `%e0%40%ae`), `%uXXXX` is decoded, and
 * bytes that spell nothing stay as their escapes.
 */
export function percentDecodeLenient(text: string): string {
  if (text.indexOf('%') < 0) return text;
  let out = '';
  let index = 0;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code !== PERCENT) {
      out += text[index];
      index += 1;
      continue;
    }
    if ((text.charCodeAt(index + 1) | 0x20) === 0x75 && hexRun(text, index + 2, 4)) {
      out += String.fromCharCode(parseInt(text.slice(index + 2, index + 6), 16));
      index += 6;
      continue;
    }
    const bytes = escapedRun(text, index);
    if (bytes.length === 0) {
      out += '%';
      index += 1;
      continue;
    }
    for (let at = 0; at < bytes.length;) {
      const sequence = readSequence(bytes, at);
      if (sequence.codePoint >= 0 && sequence.codePoint <= 0x10ffff && !isSurrogate(sequence.codePoint)) {
        out += String.fromCodePoint(sequence.codePoint);
        at += sequence.length;
        continue;
      }
      const careless = carelessOverlong(bytes, at);
      if (careless) {
        out += String.fromCharCode(careless.codePoint);
        at += careless.length;
        continue;
      }
      out += escapeText(bytes, at, 1);
      at += 1;
    }
    index += bytes.length * 3;
  }
  return out;
}

/** Fullwidth ASCII (U+FF01–U+FF5E) to ASCII: `．．／` is `../` to anything that folds width. */
export function foldFullwidth(text: string): string {
  let out: string | null = null;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 0xff01 && code <= 0xff5e) {
      out ??= text.slice(0, index);
      out += String.fromCharCode(code - 0xfee0);
    } else if (out !== null) {
      out += text[index];
    }
  }
  return out ?? text;
}

/** Code points that NFKC leaves alone but that renderers, shells or file systems read as these. */
const LOOKALIKES: Readonly<Record<number, string>> = {
  0x2044: '/', // FRACTION SLASH
  0x2215: '/', // DIVISION SLASH (IIS %u2215)
  0x29f8: '/', // BIG SOLIDUS
  0x2216: '\\', // SET MINUS (IIS %u2216)
  0x29f5: '\\', // REVERSE SOLIDUS OPERATOR
  0x29f9: '\\', // BIG REVERSE SOLIDUS
  0x0085: '\n', // NEXT LINE
  0x2028: '\n', // LINE SEPARATOR
  0x2029: '\n', // PARAGRAPH SEPARATOR
  // Typographic quotes and dashes: Windows "best-fit" code pages turn them into ASCII on the way
  // to a database or shell (the ’ → ' SQL injection), and smart punctuation puts them in payloads.
  0x2018: "'", 0x2019: "'", 0x201a: "'", 0x201b: "'", 0x2032: "'", 0x2035: "'", 0x02bc: "'", 0x00b4: "'",
  0x201c: '"', 0x201d: '"', 0x201e: '"', 0x201f: '"', 0x2033: '"', 0x2036: '"', 0x02ba: '"',
  0x2010: '-', 0x2011: '-', 0x2012: '-', 0x2013: '-', 0x2014: '-', 0x2015: '-', 0x2212: '-',
};

/** Invisible characters that split a keyword for a regex but not for a reader or a normaliser. */
const isInvisible = (code: number) =>
  code === 0x00ad || (code >= 0x200b && code <= 0x200f) || (code >= 0x202a && code <= 0x202e)
  || (code >= 0x2060 && code <= 0x2064) || (code >= 0x2066 && code <= 0x2069) || code === 0xfeff;

/**
 * NFKC (fullwidth and small forms, ligatures, `․` ONE DOT LEADER), then lookalike slashes,
 * typographic quotes and dashes and Unicode line breaks to ASCII, and invisible characters removed. For inspection only: NFKC
 * changes text a person wrote, so canonical resources use NFC and foldFullwidth instead.
 */
export function foldCompatibility(text: string): string {
  let ascii = true;
  for (let index = 0; index < text.length; index++) {
    if (text.charCodeAt(index) > 0x7e) {
      ascii = false;
      break;
    }
  }
  if (ascii) return text;
  const normalised = text.normalize('NFKC');
  let out = '';
  for (let index = 0; index < normalised.length; index++) {
    const code = normalised.charCodeAt(index);
    const replacement = LOOKALIKES[code];
    if (replacement !== undefined) out += replacement;
    else if (!isInvisible(code)) out += normalised[index];
  }
  return out;
}

/**
 * HTML numeric character references (`&#46;`, `&#x2e;`, with or without the `;`) decoded, as a
 * tool that renders or unescapes markup would. Named references stay: `&amp;` is prose.
 */
export function decodeNumericEntities(text: string): string {
  if (text.indexOf('&#') < 0) return text;
  let out = '';
  let index = 0;
  while (index < text.length) {
    if (text.charCodeAt(index) !== 0x26 || text.charCodeAt(index + 1) !== 0x23) {
      out += text[index];
      index += 1;
      continue;
    }
    const hex = (text.charCodeAt(index + 2) | 0x20) === 0x78;
    let at = index + (hex ? 3 : 2);
    let value = 0;
    const start = at;
    // Eight digits cover every code point; a longer run is not a reference anyone decodes.
    while (at < text.length && at - start < 8) {
      const digit = hex ? hexValue(text.charCodeAt(at)) : decimalValue(text.charCodeAt(at));
      if (digit < 0) break;
      value = value * (hex ? 16 : 10) + digit;
      at += 1;
    }
    if (at === start || value > 0x10ffff || isSurrogate(value)) {
      out += '&';
      index += 1;
      continue;
    }
    if (text.charCodeAt(at) === 0x3b) at += 1;
    out += String.fromCodePoint(value);
    index = at;
  }
  return out;
}

/**
 * C-style escapes (`\n`, `\r`, `\t`, `\xHH`, `\uHHHH`, `\u{H…}`) decoded, as JSON, JavaScript,
 * Python, `echo -e`, `printf` and bash's `$'…'` would: how newlines and separators are smuggled
 * through logs, payload lists and string literals. `\\`, `\0` and octal stay, so Windows paths
 * (`C:\2024\01`) and UNC names keep their backslashes.
 */
export function decodeBackslashEscapes(text: string): string {
  if (text.indexOf('\\') < 0) return text;
  let out = '';
  let index = 0;
  while (index < text.length) {
    const char = text[index];
    if (char !== '\\') {
      out += char;
      index += 1;
      continue;
    }
    const kind = text[index + 1];
    const simple = kind === 'n' ? '\n' : kind === 'r' ? '\r' : kind === 't' ? '\t' : undefined;
    if (simple !== undefined) {
      out += simple;
      index += 2;
      continue;
    }
    if (kind === 'x' && hexRun(text, index + 2, 2)) {
      out += String.fromCharCode(parseInt(text.slice(index + 2, index + 4), 16));
      index += 4;
      continue;
    }
    if (kind === 'u' && hexRun(text, index + 2, 4)) {
      out += String.fromCharCode(parseInt(text.slice(index + 2, index + 6), 16));
      index += 6;
      continue;
    }
    if (kind === 'u' && text[index + 2] === '{') {
      // Look no further than six digits ahead, so that `\u{\u{…` does not rescan the text.
      let close = index + 3;
      while (close < text.length && close < index + 10 && text[close] !== '}') close += 1;
      const digits = text[close] === '}' ? text.slice(index + 3, close) : '';
      const value = /^[0-9a-fA-F]{1,6}$/.test(digits) ? parseInt(digits, 16) : -1;
      if (value >= 0 && value <= 0x10ffff && !isSurrogate(value)) {
        out += String.fromCodePoint(value);
        index = close + 1;
        continue;
      }
    }
    // `\\` is one escaped backslash: keep both, so `\\n` is not read as a newline.
    out += kind === '\\' ? '\\\\' : char;
    index += kind === '\\' ? 2 : 1;
  }
  return out;
}

function decimalValue(code: number): number {
  return code >= 0x30 && code <= 0x39 ? code - 0x30 : -1;
}

/** One round of every decoding an attacker can rely on somewhere downstream. */
function inspectionRound(text: string): string {
  return foldCompatibility(decodeBackslashEscapes(decodeNumericEntities(percentDecodeLenient(text))));
}

/**
 * The forms a detector must judge: the text as given, then after each round of lenient decoding
 * (percent-encoding with overlong forms, `%uXXXX`, numeric entities, C-style escapes, NFKC and
 * lookalikes) until
 * the text stops changing or MAX_DECODE_ROUNDS is reached. Distinct forms only, raw first.
 */
export function inspectionForms(text: string): string[] {
  const forms = [text];
  let current = text;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    const next = inspectionRound(current);
    if (next === current) break;
    forms.push(next);
    current = next;
  }
  return forms;
}

/** The most decoded form of `text` (the last of inspectionForms). */
export function decodeForInspection(text: string): string {
  const forms = inspectionForms(text);
  return forms[forms.length - 1];
}
