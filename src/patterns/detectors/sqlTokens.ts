/**
 * A forgiving SQL tokenizer for the union of the common dialects (ANSI, PostgreSQL, MySQL, SQL
 * Server, Oracle, SQLite). It never fails: text that is not SQL still becomes tokens, and the
 * detector decides what they mean. One left-to-right pass; every closing delimiter is found with
 * indexOf from the current position, so the scan is linear in the input.
 */

export type SqlTokenKind = 'string' | 'identifier' | 'number' | 'variable' | 'operator' | 'punctuation';

export interface SqlComment {
  /** The text between the comment markers, trimmed. */
  body: string;
  /** `/*` without `*\/`: it swallows the rest of the query, like `--` does. */
  unterminated: boolean;
}

export interface SqlToken {
  kind: SqlTokenKind;
  /** Source text; for identifiers and keywords the upper-case form, for quoted identifiers the name. */
  text: string;
  /** For strings: the closing quote was found. */
  terminated: boolean;
  /** A comment directly after this token (before the next significant one). */
  commentAfter?: SqlComment;
}

export interface SqlScan {
  tokens: SqlToken[];
  /** A comment before the first token. */
  leadingComment?: SqlComment;
  /** MySQL `/*!…*\/` executable comments, whose contents the server runs as SQL. */
  executableComment: boolean;
}

const isDigit = (code: number) => code >= 0x30 && code <= 0x39;
const isHexDigit = (code: number) => isDigit(code) || ((code | 0x20) >= 0x61 && (code | 0x20) <= 0x66);
const isSpace = (code: number) => code === 0x20 || (code >= 0x09 && code <= 0x0d) || code === 0xa0;
/** Non-ASCII letters, digits and marks belong to names; non-ASCII punctuation (`–`, `…`) does not. */
const isUnicodeWordChar = (code: number) => code > 0x7f && UNICODE_WORD.test(String.fromCharCode(code));
const UNICODE_WORD = /[\p{L}\p{N}\p{M}]|[\ud800-\udfff]/u;
/** Letters, digits, `_`, `$` (PostgreSQL and Oracle allow it inside names) and any non-ASCII letter. */
const isWordChar = (code: number) =>
  (code >= 0x30 && code <= 0x39) || ((code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a) || code === 0x5f || code === 0x24 || isUnicodeWordChar(code);
const isWordStart = (code: number) => ((code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a) || code === 0x5f || isUnicodeWordChar(code);

/** Operators longest first, so `<=>` is not read as `<=` then `>`. */
const OPERATORS = ['<=>', '!<', '!>', '<>', '!=', '<=', '>=', '==', '||', '&&', '<<', '>>', '::', '=', '<', '>', '+', '-', '*', '/', '%', '|', '&', '^', '~', '!'];
/** Single letters that make the next quoted text a string literal: N'..', E'..', X'..', B'..'. */
const STRING_PREFIXES = new Set(['N', 'E', 'X', 'B', 'U', 'Q']);

/** Index just past a quoted run that started at `start` (the opening quote), with doubled quotes as escapes. */
function quotedEnd(text: string, start: number, quote: string): { end: number; terminated: boolean } {
  let at = start + 1;
  for (;;) {
    const close = text.indexOf(quote, at);
    if (close < 0) return { end: text.length, terminated: false };
    if (text[close + 1] === quote) {
      at = close + 2;
      continue;
    }
    return { end: close + 1, terminated: true };
  }
}

export function scanSql(text: string): SqlScan {
  const tokens: SqlToken[] = [];
  const scan: SqlScan = { tokens, executableComment: false };
  let inExecutableComment = false;
  const attachComment = (comment: SqlComment) => {
    const previous = tokens[tokens.length - 1];
    if (previous) previous.commentAfter ??= comment;
    else scan.leadingComment ??= comment;
  };
  const push = (kind: SqlTokenKind, tokenText: string, terminated = true) => {
    tokens.push({ kind, text: tokenText, terminated });
  };

  let index = 0;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    const next = text.charCodeAt(index + 1);
    if (isSpace(code)) {
      index += 1;
      continue;
    }
    // Comments: `--` (MySQL wants a space after it; other dialects do not), `#` (MySQL), `/* */`.
    if ((code === 0x2d && next === 0x2d) || code === 0x23) {
      const start = index + (code === 0x23 ? 1 : 2);
      const newline = text.indexOf('\n', start);
      const end = newline < 0 ? text.length : newline;
      attachComment({ body: text.slice(start, end).trim(), unterminated: false });
      index = end;
      continue;
    }
    if (code === 0x2f && next === 0x2a) {
      if (text.charCodeAt(index + 2) === 0x21) {
        // `/*!50000 UNION*/`: MySQL executes the contents; read them as SQL, drop the markers.
        scan.executableComment = true;
        inExecutableComment = true;
        index += 3;
        while (isDigit(text.charCodeAt(index))) index += 1;
        continue;
      }
      const close = text.indexOf('*/', index + 2);
      const end = close < 0 ? text.length : close;
      attachComment({ body: text.slice(index + 2, end).trim(), unterminated: close < 0 });
      index = close < 0 ? text.length : close + 2;
      continue;
    }
    if (code === 0x2a && next === 0x2f && inExecutableComment) {
      inExecutableComment = false;
      index += 2;
      continue;
    }
    if (code === 0x27 || code === 0x22) {
      const quote = text[index];
      const { end, terminated } = quotedEnd(text, index, quote);
      push('string', text.slice(index, end), terminated);
      index = end;
      continue;
    }
    if (code === 0x60 || code === 0x5b) {
      // `name` (MySQL) and [name] (SQL Server) quote identifiers.
      const close = text.indexOf(code === 0x60 ? '`' : ']', index + 1);
      const end = close < 0 ? text.length : close + 1;
      push('identifier', text.slice(index + 1, close < 0 ? text.length : close).toUpperCase());
      index = end;
      continue;
    }
    if (code === 0x24 && (next === 0x24 || isWordStart(next))) {
      // PostgreSQL dollar quoting: $$text$$ or $tag$text$tag$.
      let tagEnd = index + 1;
      while (tagEnd < text.length && isWordChar(text.charCodeAt(tagEnd)) && text.charCodeAt(tagEnd) !== 0x24) tagEnd += 1;
      if (text.charCodeAt(tagEnd) === 0x24) {
        const tag = text.slice(index, tagEnd + 1);
        const close = text.indexOf(tag, tagEnd + 1);
        const end = close < 0 ? text.length : close + tag.length;
        push('string', text.slice(index, end), close >= 0);
        index = end;
        continue;
      }
    }
    if (isDigit(code) || (code === 0x2e && isDigit(next))) {
      let end = index;
      if (code === 0x30 && (next | 0x20) === 0x78) {
        end += 2;
        while (isHexDigit(text.charCodeAt(end))) end += 1;
      } else {
        while (isDigit(text.charCodeAt(end)) || text.charCodeAt(end) === 0x2e) end += 1;
        if ((text.charCodeAt(end) | 0x20) === 0x65 && (isDigit(text.charCodeAt(end + 1)) || ((text.charCodeAt(end + 1) === 0x2b || text.charCodeAt(end + 1) === 0x2d) && isDigit(text.charCodeAt(end + 2))))) {
          end += 2;
          while (isDigit(text.charCodeAt(end))) end += 1;
        }
      }
      push('number', text.slice(index, end));
      index = end;
      continue;
    }
    if (isWordStart(code)) {
      let end = index + 1;
      while (end < text.length && isWordChar(text.charCodeAt(end))) end += 1;
      const word = text.slice(index, end).toUpperCase();
      const quoteNext = text.charCodeAt(end);
      if ((quoteNext === 0x27) && (STRING_PREFIXES.has(word) || word.startsWith('_'))) {
        const { end: stringEnd, terminated } = quotedEnd(text, end, "'");
        push('string', text.slice(end, stringEnd), terminated);
        index = stringEnd;
        continue;
      }
      push('identifier', word);
      index = end;
      continue;
    }
    if (code === 0x40 || (code === 0x3a && isWordStart(next)) || (code === 0x3f)) {
      // @var, @@version, :bind, ? placeholders.
      let end = index + 1;
      if (code === 0x40 && next === 0x40) end += 1;
      while (end < text.length && isWordChar(text.charCodeAt(end))) end += 1;
      push('variable', text.slice(index, end).toUpperCase());
      index = end;
      continue;
    }
    if (code === 0x24 && isDigit(next)) {
      let end = index + 1;
      while (isDigit(text.charCodeAt(end))) end += 1;
      push('variable', text.slice(index, end));
      index = end;
      continue;
    }
    if (code === 0x28 || code === 0x29 || code === 0x2c || code === 0x3b || code === 0x2e) {
      push('punctuation', text[index]);
      index += 1;
      continue;
    }
    const operator = OPERATORS.find((candidate) => text.startsWith(candidate, index));
    if (operator) {
      push('operator', operator);
      index += operator.length;
      continue;
    }
    // Anything else (other punctuation, symbols) is kept as an operator the grammar never accepts.
    push('operator', text[index]);
    index += 1;
  }
  return scan;
}
