import { inspectionForms } from '../../policy/decode.js';
import { scanSql, type SqlScan, type SqlToken } from './sqlTokens.js';

/**
 * SQL injection, judged by tokens. An injection is text that, placed where a value belongs,
 * changes the structure of the query around it. So the text is read three ways: as it stands
 * (a whole query, or a value placed unquoted such as a number), and as if it sat inside a '…'
 * or "…" literal. The quoted readings only count when the text closes the literal and what
 * follows is still valid SQL: that is what separates `x' OR name='admin` from `O'Brien` or
 * `the boss' or the team's call`.
 *
 * Signals, each from the grammar of a known attack class (OWASP WSTG-INPV-05):
 * - a constant predicate after OR/AND/XOR/||/&& (`OR 1=1`, `AND 'a' LIKE 'a'`, `OR (2>1)`,
 *   `OR x=x`, `OR CHAR(49)=CHAR(49)`): tautologies and the contradictions of boolean blind probes;
 * - a stacked statement after `;` (`; DROP TABLE users`, `; EXEC xp_cmdshell`, `; WAITFOR`);
 * - UNION SELECT in a value, or selecting only constants or catalogue tables in a query;
 * - time, file and out-of-band primitives (`SLEEP(5)`, `pg_sleep`, `BENCHMARK`, `WAITFOR DELAY`,
 *   `LOAD_FILE`, `INTO OUTFILE`, `xp_cmdshell`, `UTL_HTTP`, `EXTRACTVALUE`, …);
 * - a comment that exists only to cut off the rest of the query (`1 --`, `admin'--`, `1)#`);
 * - MySQL executable comments (`/*!50000UNION*\/`);
 * - in a value: clause keywords after a literal (`1 ORDER BY 3`), and a subquery or function
 *   call after a boolean connective (`1 AND ASCII(SUBSTRING((SELECT …),1,1))>64`);
 * - after a closed literal: a connective, operator, comment, `;`, UNION or clause keyword that
 *   continues into valid SQL (`'||(SELECT version())||'`, `'='`, `' HAVING 1=1--`).
 *
 * Every form from the shared decoder (percent-encoding, overlong UTF-8, fullwidth, …) is judged.
 */

/**
 * Tokens a predicate parse may consume. It bounds the work per connective, so detection stays
 * linear; conditions in real payloads are short (`1 AND ORD(MID((SELECT IFNULL(CAST(username AS
 * CHAR),0x20) FROM users LIMIT 0,1),1,1))>64` is 35 tokens).
 */
const PARSE_BUDGET = 64;
/** Parts of a dotted name read at once (`SYS.DBMS_EXPORT_EXTENSION.GET_DOMAIN_INDEX_TABLES` has 3). */
const MAX_NAME_PARTS = 4;
/** How far after GROUP BY a HAVING may come (`GROUP BY a, b, c HAVING 1=1`). */
const CLAUSE_REACH = 32;

const STATEMENT_KEYWORDS = new Set([
  'SELECT', 'WITH', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'ALTER', 'DROP', 'TRUNCATE', 'EXEC', 'EXECUTE',
  'CALL', 'MERGE', 'REPLACE', 'GRANT', 'REVOKE', 'SHOW', 'DESCRIBE', 'DESC', 'EXPLAIN', 'VALUES', 'SET', 'DECLARE',
  'BEGIN', 'USE', 'COPY', 'PRAGMA',
]);
const CONNECTIVES = new Set(['OR', 'AND', 'XOR', '||', '&&']);
/** Keywords that end an expression: a name the parser must not read as a column. */
const RESERVED = new Set([
  'SELECT', 'FROM', 'WHERE', 'UNION', 'ORDER', 'GROUP', 'HAVING', 'LIMIT', 'OFFSET', 'FETCH', 'INTO', 'AND', 'OR',
  'XOR', 'NOT', 'IS', 'IN', 'LIKE', 'ILIKE', 'RLIKE', 'REGEXP', 'BETWEEN', 'AS', 'ON', 'JOIN', 'THEN', 'ELSE', 'END',
  'WHEN', 'BY', 'PROCEDURE', 'FOR', 'ALL', 'DISTINCT', 'ESCAPE', 'SIMILAR', 'GLOB', 'DIV', 'MOD', 'INTERSECT', 'EXCEPT',
  'MINUS', 'DELETE', 'UPDATE', 'INSERT', 'DROP', 'EXEC', 'EXECUTE', 'WAITFOR', 'DECLARE', 'SET', 'VALUES', 'TOP', 'CASE',
]);
/** Literals spelled as words. */
const WORD_LITERALS = new Set(['NULL', 'TRUE', 'FALSE', 'UNKNOWN', 'CURRENT_USER', 'SESSION_USER', 'SYSTEM_USER', 'CURRENT_DATE', 'CURRENT_TIMESTAMP']);
const COMPARISONS = new Set(['=', '==', '<>', '!=', '<', '>', '<=', '>=', '<=>', '!<', '!>']);
const PATTERN_MATCH = new Set(['LIKE', 'ILIKE', 'RLIKE', 'REGEXP', 'GLOB', 'MATCH']);
const ARITHMETIC = new Set(['+', '-', '*', '/', '%', '||', '|', '&', '^', '<<', '>>', 'DIV', 'MOD']);
/** What may follow a complete predicate in a query. */
const CLAUSE_KEYWORDS = new Set(['UNION', 'ORDER', 'GROUP', 'LIMIT', 'HAVING', 'INTO', 'PROCEDURE', 'FOR', 'OFFSET', 'FETCH', 'INTERSECT', 'EXCEPT', 'MINUS', 'WINDOW', 'RETURNING', 'LOCK']);
/** Clauses an attacker appends to a value to probe columns or write files. */
const PROBE_CLAUSES = new Set(['ORDER', 'GROUP', 'HAVING', 'PROCEDURE', 'INTO', 'LIMIT']);

/** `NAME(` calls that sleep, read or write files, run commands or reach the network. */
const DANGEROUS_CALLS = new Set([
  'SLEEP', 'PG_SLEEP', 'PG_SLEEP_FOR', 'BENCHMARK', 'LOAD_FILE', 'PG_READ_FILE', 'PG_READ_BINARY_FILE', 'PG_LS_DIR',
  'LO_IMPORT', 'LO_EXPORT', 'EXTRACTVALUE', 'UPDATEXML', 'XP_CMDSHELL', 'XP_DIRTREE', 'XP_FILEEXIST', 'XP_REGREAD',
  'SP_OACREATE', 'SP_OAMETHOD', 'OPENROWSET', 'OPENDATASOURCE', 'HTTPURITYPE', 'DBMS_PIPE.RECEIVE_MESSAGE',
  'DBMS_LOCK.SLEEP', 'DBMS_SESSION.SLEEP', 'UTL_HTTP.REQUEST', 'UTL_INADDR.GET_HOST_ADDRESS', 'UTL_INADDR.GET_HOST_NAME',
  'DBMS_LDAP.INIT', 'DBMS_XMLGEN.GETXML', 'SYS.DBMS_EXPORT_EXTENSION.GET_DOMAIN_INDEX_TABLES', 'RANDOMBLOB',
  'SYS_EVAL', 'SYS_EXEC', 'LOAD_EXTENSION', 'CTXSYS.DRITHSX.SN', 'GTID_SUBSET', 'EXP', 'JSON_KEYS', 'GEOMETRYCOLLECTION',
]);
/** Calls that are dangerous with any argument; the rest need a literal first argument to count. */
const ALWAYS_DANGEROUS = new Set(['XP_CMDSHELL', 'XP_DIRTREE', 'SP_OACREATE', 'LOAD_FILE', 'PG_READ_FILE', 'UTL_HTTP.REQUEST', 'DBMS_PIPE.RECEIVE_MESSAGE', 'LOAD_EXTENSION', 'SYS_EVAL', 'SYS_EXEC', 'OPENROWSET', 'HTTPURITYPE']);
/** Error-based primitives: harmless names elsewhere, an attack when fed a subquery or a version probe. */
const ERROR_PROBES = new Set(['EXP', 'JSON_KEYS', 'GEOMETRYCOLLECTION', 'GTID_SUBSET', 'EXTRACTVALUE', 'UPDATEXML', 'CTXSYS.DRITHSX.SN', 'DBMS_XMLGEN.GETXML']);
/** Catalogue and fingerprint names a UNION-based extraction selects from. */
const CATALOGUE = /^(?:INFORMATION_SCHEMA|SYSOBJECTS|SYSCOLUMNS|SYSUSERS|SYSDATABASES|SYS|MASTER|PG_CATALOG|PG_TABLES|PG_USER|PG_SHADOW|PG_DATABASE|MYSQL|SQLITE_MASTER|SQLITE_SCHEMA|SQLITE_TEMP_MASTER|ALL_TABLES|ALL_TAB_COLUMNS|ALL_USERS|USER_TABLES|DBA_USERS|DBA_TABLES|V\$VERSION|DUAL)$/;
const FINGERPRINTS = new Set(['@@VERSION', '@@HOSTNAME', '@@DATADIR', '@@SERVERNAME', 'VERSION', 'DATABASE', 'SCHEMA', 'USER', 'CURRENT_USER', 'SYSTEM_USER', 'SESSION_USER', 'SQLITE_VERSION', 'BANNER', 'DB_NAME', 'USER_NAME']);

interface Expression {
  /** No column references: only literals, variables, and calls and operators over them. */
  constant: boolean;
  /** A comparison, pattern match, IN, BETWEEN or IS test: the expression is a condition. */
  condition: boolean;
  /** Contains a subquery. */
  subquery: boolean;
  /** Contains a function call. */
  call: boolean;
  /** A bare column reference (`a`, `t.a`), to spot `x = x`. */
  column?: string;
  /** A single literal and nothing else (`'no'`, `5`): the literal. */
  bare?: SqlToken;
}

/** MySQL's truth of a literal: a number, or a string by its leading numeric prefix, is true unless 0. */
function truthy(token: SqlToken): boolean {
  if (token.kind === 'identifier') return token.text === 'TRUE';
  if (token.kind === 'number') return /^0x/i.test(token.text) ? /[1-9a-f]/i.test(token.text.slice(2)) : Number(token.text) !== 0;
  if (token.kind !== 'string') return false;
  const value = parseFloat(token.text.replace(/^[^'"$]*['"]/, '').replace(/^\$[^$]*\$/, ''));
  return !Number.isNaN(value) && value !== 0;
}

const NOT_PARSED = null;

class Parser {
  private budget = PARSE_BUDGET;

  constructor(private readonly tokens: readonly SqlToken[], public at: number) {}

  /** Nothing once the budget is spent, so that every loop over peek() ends. */
  peek(offset = 0): SqlToken | undefined {
    return this.budget > 0 ? this.tokens[this.at + offset] : undefined;
  }

  private word(offset = 0): string | undefined {
    const token = this.peek(offset);
    return token && token.kind === 'identifier' ? token.text : undefined;
  }

  private is(text: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token !== undefined && token.kind !== 'string' && token.text === text;
  }

  private advance(): SqlToken | undefined {
    this.budget -= 1;
    return this.tokens[this.at++];
  }

  /**
   * Skips a parenthesised group whose `(` is the current token, on the same budget. Null when it
   * does not close; otherwise whether a SELECT is inside.
   */
  private skipGroup(): { select: boolean } | null {
    let depth = 0;
    let select = false;
    while (this.peek()) {
      const token = this.advance()!;
      if (token.kind === 'punctuation' && token.text === '(') depth += 1;
      else if (token.kind === 'punctuation' && token.text === ')') {
        depth -= 1;
        if (depth === 0) return { select };
      } else if (token.kind === 'identifier' && token.text === 'SELECT') select = true;
    }
    // An unclosed group at the end is closed by the query around an injected value.
    return this.budget > 0 && this.at >= this.tokens.length ? { select } : null;
  }

  private primary(): Expression | null {
    const token = this.peek();
    if (!token) return NOT_PARSED;
    if (token.kind === 'number' || token.kind === 'string' || token.kind === 'variable') {
      this.advance();
      return { constant: true, condition: false, subquery: false, call: false, bare: token };
    }
    if (token.kind === 'punctuation' && token.text === '(') {
      if (this.word(1) === 'SELECT' || this.word(1) === 'WITH') {
        return this.skipGroup() ? { constant: false, condition: false, subquery: true, call: false } : NOT_PARSED;
      }
      this.advance();
      const inner = this.list();
      if (!inner) return NOT_PARSED;
      if (this.is(')')) this.advance();
      else if (this.peek()) return NOT_PARSED;
      return { ...inner, column: undefined, bare: undefined };
    }
    if (token.kind !== 'identifier') return NOT_PARSED;
    if (WORD_LITERALS.has(token.text) && !this.is('(', 1) && !this.is('.', 1)) {
      this.advance();
      return { constant: true, condition: false, subquery: false, call: false, bare: token };
    }
    if (token.text === 'EXISTS' && this.is('(', 1)) {
      this.advance();
      return this.skipGroup() ? { constant: false, condition: true, subquery: true, call: false } : NOT_PARSED;
    }
    if (token.text === 'CASE') {
      let depth = 0;
      while (this.peek()) {
        const next = this.advance()!;
        if (next.kind !== 'identifier') continue;
        if (next.text === 'CASE') depth += 1;
        if (next.text === 'END' && --depth === 0) return { constant: false, condition: false, subquery: false, call: true };
      }
      return NOT_PARSED;
    }
    if (RESERVED.has(token.text)) return NOT_PARSED;
    let name = token.text;
    this.advance();
    while (this.is('.') && this.peek(1)?.kind === 'identifier') {
      this.advance();
      name += `.${this.advance()!.text}`;
    }
    if (!this.is('(')) return { constant: false, condition: false, subquery: false, call: false, column: name };
    // A call: constant when every argument is (CHAR(49), CONCAT('a','b'), VERSION()).
    this.advance();
    if (this.is(')')) {
      this.advance();
      return { constant: true, condition: false, subquery: false, call: true };
    }
    const start = this.at;
    const args = this.list();
    if (args && this.is(')')) {
      this.advance();
      return { constant: args.constant, condition: false, subquery: args.subquery, call: true };
    }
    // Arguments this grammar does not know (CAST(x AS INT), SUBSTRING(a FROM 1)): skip them.
    this.at = start - 1;
    const group = this.skipGroup();
    return group ? { constant: false, condition: false, subquery: group.select, call: true } : NOT_PARSED;
  }

  private unary(): Expression | null {
    while (this.peek()?.kind === 'operator' && ['-', '+', '~', '!'].includes(this.peek()!.text)) this.advance();
    if (this.word() === 'BINARY' && this.peek(1)) this.advance();
    return this.primary();
  }

  /** Arithmetic and concatenation over operands. */
  private arithmetic(): Expression | null {
    let left = this.unary();
    if (!left) return NOT_PARSED;
    for (;;) {
      const token = this.peek();
      if (!token || token.kind === 'string') break;
      if (token.text === '::' && this.peek(1)?.kind === 'identifier') {
        this.advance();
        this.advance();
        continue;
      }
      if (token.text === 'COLLATE' && this.peek(1)?.kind === 'identifier') {
        this.advance();
        this.advance();
        continue;
      }
      if (!ARITHMETIC.has(token.text) || (token.kind === 'identifier' && !['DIV', 'MOD'].includes(token.text))) break;
      this.advance();
      const right = this.unary();
      if (!right) return NOT_PARSED;
      left = merge(left, right, false);
    }
    return left;
  }

  /** One condition: a comparison, LIKE, IN, BETWEEN, IS, or a bare operand. */
  predicate(): Expression | null {
    while (this.word() === 'NOT' || this.is('!')) this.advance();
    const left = this.arithmetic();
    if (!left) return NOT_PARSED;
    const token = this.peek();
    if (!token || token.kind === 'string' || token.kind === 'number') return left;
    let negated = false;
    if (token.text === 'NOT' && token.kind === 'identifier') {
      negated = true;
      this.advance();
    }
    const operator = this.peek();
    if (!operator) return negated ? NOT_PARSED : left;
    if (operator.kind === 'operator' && COMPARISONS.has(operator.text) && !negated) {
      this.advance();
      if (this.word() === 'ANY' || this.word() === 'ALL' || this.word() === 'SOME') this.advance();
      const right = this.arithmetic();
      return right ? compare(left, right) : NOT_PARSED;
    }
    if (operator.kind !== 'identifier') return negated ? NOT_PARSED : left;
    if (PATTERN_MATCH.has(operator.text) || operator.text === 'SIMILAR' || operator.text === 'SOUNDS') {
      this.advance();
      if (this.word() === 'TO' || this.word() === 'LIKE' || this.word() === 'BINARY') this.advance();
      const right = this.arithmetic();
      if (!right) return NOT_PARSED;
      if (this.word() === 'ESCAPE') {
        this.advance();
        if (!this.arithmetic()) return NOT_PARSED;
      }
      return compare(left, right);
    }
    if (operator.text === 'IN' && this.is('(', 1)) {
      this.advance();
      const right = this.primary();
      return right ? compare(left, right) : NOT_PARSED;
    }
    if (operator.text === 'BETWEEN') {
      this.advance();
      const low = this.arithmetic();
      if (!low || this.word() !== 'AND') return NOT_PARSED;
      this.advance();
      const high = this.arithmetic();
      return high ? { ...compare(left, merge(low, high, false)), column: undefined } : NOT_PARSED;
    }
    if (operator.text === 'IS' && !negated) {
      this.advance();
      if (this.word() === 'NOT') this.advance();
      if (this.word() === 'DISTINCT' && this.word(1) === 'FROM') {
        this.advance();
        this.advance();
        const right = this.arithmetic();
        return right ? compare(left, right) : NOT_PARSED;
      }
      const word = this.word();
      if (word === 'NULL' || word === 'TRUE' || word === 'FALSE' || word === 'UNKNOWN') {
        this.advance();
        return { ...left, condition: true, column: undefined, bare: undefined };
      }
      return NOT_PARSED;
    }
    return negated ? NOT_PARSED : left;
  }

  /** Conditions joined by AND/OR, then a comma list (for IN lists and call arguments). */
  list(): Expression | null {
    let result = this.condition();
    if (!result) return NOT_PARSED;
    while (this.is(',')) {
      this.advance();
      const next = this.condition();
      if (!next) return NOT_PARSED;
      result = merge(result, next, result.condition && next.condition);
    }
    return result;
  }

  private condition(): Expression | null {
    let result = this.predicate();
    if (!result) return NOT_PARSED;
    while (this.peek() && this.peek()!.kind !== 'string' && CONNECTIVES.has(this.peek()!.text)) {
      this.advance();
      const next = this.predicate();
      if (!next) return NOT_PARSED;
      result = merge(result, next, result.condition || next.condition);
    }
    return result;
  }
}

function merge(left: Expression, right: Expression, condition: boolean): Expression {
  return {
    constant: left.constant && right.constant,
    condition,
    subquery: left.subquery || right.subquery,
    call: left.call || right.call,
  };
}

/** A test between two operands; `x = x` on the same column is as constant as `1 = 1`. */
function compare(left: Expression, right: Expression): Expression {
  const same = left.column !== undefined && left.column === right.column;
  return { ...merge(left, right, true), constant: (left.constant && right.constant) || same };
}

interface Parsed {
  expression: Expression | null;
  /** Index of the first token after the predicate. */
  end: number;
}

/**
 * One predicate parse per start position, shared by every signal that asks (the structural,
 * value and breakout passes all parse after the same connectives).
 */
const parses = new WeakMap<readonly SqlToken[], Map<number, Parsed>>();

function predicateAt(tokens: readonly SqlToken[], at: number): Parsed {
  let cache = parses.get(tokens);
  if (!cache) {
    cache = new Map();
    parses.set(tokens, cache);
  }
  let parsed = cache.get(at);
  if (!parsed) {
    const parser = new Parser(tokens, at);
    const expression = parser.predicate();
    parsed = { expression, end: parser.at };
    cache.set(at, parsed);
  }
  return parsed;
}

const isWord = (token: SqlToken | undefined, ...words: string[]) => token?.kind === 'identifier' && words.includes(token.text);
const isPunct = (token: SqlToken | undefined, text: string) => token?.kind === 'punctuation' && token.text === text;
const isLiteral = (token: SqlToken | undefined) => token !== undefined
  && (token.kind === 'number' || token.kind === 'string' || token.kind === 'variable' || (token.kind === 'identifier' && WORD_LITERALS.has(token.text)));

/** What a comment holds when it is there only to end the query: nothing, or `-`, `+`, `#`, `;`. */
const CONTENTLESS = /^[\s\-+#*/;.]*$/;

/**
 * A comment that exists to cut off what the query has after the value: it carries nothing, or
 * it starts with the quote it swallowed (`WHERE name = 'admin'--' AND password = …`).
 */
function truncates(token: SqlToken | undefined): boolean {
  const comment = token?.commentAfter;
  return comment !== undefined && (CONTENTLESS.test(comment.body) || /^['"]/.test(comment.body));
}

/** True when the tokens from `at` start a statement (what a `;` stacks on the first one). */
function startsStatement(tokens: readonly SqlToken[], at: number): boolean {
  const first = tokens[at];
  const second = tokens[at + 1];
  if (!first || first.kind !== 'identifier') return false;
  const after = (...words: string[]) => isWord(second, ...words);
  switch (first.text) {
    case 'SELECT':
      return second === undefined || second.kind !== 'identifier' || after('DISTINCT', 'ALL', 'TOP', 'NULL')
        || isPunct(tokens[at + 2], '(') || isPunct(tokens[at + 2], ',') || isPunct(tokens[at + 2], '.') || isWord(tokens[at + 2], 'FROM');
    case 'INSERT': case 'REPLACE': case 'MERGE':
      return after('INTO');
    case 'UPDATE':
      return second?.kind === 'identifier' && (isWord(tokens[at + 2], 'SET') || isPunct(tokens[at + 2], '.'));
    case 'DELETE':
      return after('FROM') || (second?.kind === 'identifier' && isWord(tokens[at + 2], 'FROM'));
    case 'DROP': case 'CREATE': case 'ALTER':
      return after('TABLE', 'DATABASE', 'SCHEMA', 'VIEW', 'INDEX', 'USER', 'PROCEDURE', 'FUNCTION', 'TRIGGER', 'ROLE',
        'SEQUENCE', 'LOGIN', 'EXTENSION', 'TEMP', 'TEMPORARY', 'OR', 'UNIQUE', 'IF', 'SYSTEM', 'SESSION', 'EVENT', 'SERVER');
    case 'TRUNCATE':
      return after('TABLE') || (second?.kind === 'identifier' && (tokens[at + 2] === undefined || isPunct(tokens[at + 2], ';')));
    case 'EXEC': case 'EXECUTE':
      return isPunct(second, '(') || second?.kind === 'variable' || second?.kind === 'string'
        || (second?.kind === 'identifier' && (/^(?:XP|SP)_|^MASTER$|^DBO$|^SYS$|^IMMEDIATE$/.test(second.text) || isPunct(tokens[at + 2], '.')));
    case 'DECLARE':
      return second?.kind === 'variable' || (second?.kind === 'identifier' && isWord(tokens[at + 2], 'CURSOR'));
    case 'SET':
      return second?.kind === 'variable' || (second?.kind === 'identifier' && (tokens[at + 2]?.text === '=' || isWord(second, 'GLOBAL', 'SESSION')));
    case 'SHUTDOWN':
      return second === undefined || isPunct(second, ';') || after('WITH');
    case 'WAITFOR':
      return after('DELAY', 'TIME');
    case 'CALL':
      return second?.kind === 'identifier' && (isPunct(tokens[at + 2], '(') || isPunct(tokens[at + 2], '.'));
    case 'COPY':
      return isPunct(second, '(') || (second?.kind === 'identifier' && isWord(tokens[at + 2], 'FROM', 'TO'));
    case 'GRANT': case 'REVOKE':
      // GRANT privilege[, …] ON|TO|FROM …: the grammar's keyword within a few names.
      return second?.kind === 'identifier' && tokens.slice(at + 2, at + 8).some((token) => isWord(token, 'ON', 'TO', 'FROM'));
    case 'IF':
      return isPunct(second, '(') || after('EXISTS', 'NOT') || second?.kind === 'number';
    case 'DBCC': case 'RECONFIGURE': case 'BACKUP': case 'RESTORE':
      return true;
    case 'LOAD':
      return after('DATA');
    case 'ATTACH':
      return after('DATABASE') || second?.kind === 'string';
    case 'PRAGMA':
      return second?.kind === 'identifier';
    case 'WITH':
      return second?.kind === 'identifier' && isWord(tokens[at + 2], 'AS');
    default:
      return false;
  }
}

/** `NAME(…)` calls that sleep, touch files, run commands or leak data through errors. */
function dangerousCallAt(tokens: readonly SqlToken[], at: number): boolean {
  const token = tokens[at];
  if (token.kind !== 'identifier') return false;
  let name = token.text;
  let open = at + 1;
  for (let part = 1; part < MAX_NAME_PARTS && isPunct(tokens[open], '.') && tokens[open + 1]?.kind === 'identifier'; part++) {
    name += `.${tokens[open + 1].text}`;
    open += 2;
  }
  if (isWord(tokens[at - 1], 'WAITFOR') && isWord(token, 'DELAY', 'TIME')) return tokens[at + 1]?.kind === 'string' || tokens[at + 1]?.kind === 'variable';
  if (!DANGEROUS_CALLS.has(name) || isPunct(tokens[at - 1], '.')) return false;
  if (name === 'XP_CMDSHELL' || name === 'XP_DIRTREE') return true; // EXEC xp_cmdshell 'dir' has no parentheses
  if (!isPunct(tokens[open], '(')) return false;
  if (ALWAYS_DANGEROUS.has(name)) return true;
  const argument = tokens[open + 1];
  if (ERROR_PROBES.has(name)) {
    // exp(~(SELECT …)), extractvalue(1, concat(0x7e, version())): a probe feeds in a subquery or a fingerprint.
    for (let k = open + 1; k < Math.min(tokens.length, open + 24); k++) {
      if (isWord(tokens[k], 'SELECT') || FINGERPRINTS.has(tokens[k].text) || /^0x7e$/i.test(tokens[k].text)) return true;
    }
    return false;
  }
  // randomblob(16) makes UUIDs; only a huge one is a heavy-query delay.
  if (name === 'RANDOMBLOB') return argument?.kind === 'number' && Number(argument.text) >= 1e6;
  // SLEEP(5), BENCHMARK(5000000, MD5(1)): a literal, arithmetic or a subquery.
  return argument !== undefined && (argument.kind === 'number' || argument.kind === 'variable' || isPunct(argument, '(') || isWord(argument, 'SELECT') || argument.kind === 'string');
}

/** The first token is a statement keyword: the text is a whole query rather than a value. */
function isStatement(tokens: readonly SqlToken[]): boolean {
  const first = tokens[0];
  if (isPunct(first, '(') && isWord(tokens[1], 'SELECT', 'WITH')) return true;
  return first?.kind === 'identifier' && STATEMENT_KEYWORDS.has(first.text);
}

/** After UNION [ALL|DISTINCT], the index of SELECT, or -1. */
function unionSelectAt(tokens: readonly SqlToken[], at: number): number {
  if (!isWord(tokens[at], 'UNION')) return -1;
  let next = at + 1;
  if (isWord(tokens[next], 'ALL', 'DISTINCT')) next += 1;
  while (isPunct(tokens[next], '(')) next += 1;
  return isWord(tokens[next], 'SELECT') ? next : -1;
}

/** A UNION SELECT that extracts: only constants or NULLs in its list, or catalogue and fingerprint names. */
function extractingSelect(tokens: readonly SqlToken[], select: number): boolean {
  let allConstant = true;
  for (let k = select + 1; k < Math.min(tokens.length, select + PARSE_BUDGET); k++) {
    const token = tokens[k];
    if (isWord(token, 'UNION') || isPunct(token, ';')) break;
    if (token.kind === 'identifier' && (CATALOGUE.test(token.text) || FINGERPRINTS.has(token.text))) return true;
    if (token.kind === 'variable' && FINGERPRINTS.has(token.text)) return true;
    if (isWord(token, 'FROM')) allConstant = false;
    if (allConstant && token.kind === 'identifier' && !WORD_LITERALS.has(token.text) && !isWord(token, 'ALL', 'DISTINCT', 'CHAR', 'CONCAT', 'CHR')) allConstant = false;
  }
  return allConstant;
}

/**
 * Signals that hold wherever they appear: in a query, in a value, after a closed literal. `from`
 * skips the literal a quoted reading starts with.
 */
function structuralSignal(scan: SqlScan, statement: boolean, from = 0): boolean {
  const { tokens } = scan;
  if (scan.executableComment) return true;
  for (let at = from; at < tokens.length; at++) {
    const token = tokens[at];
    if (isPunct(token, ';')) {
      if (startsStatement(tokens, at + 1)) return true;
      if (!statement && truncates(token) && isLiteral(tokens[at - 1])) return true;
    }
    if (dangerousCallAt(tokens, at)) return true;
    // IF(1=1, …) and CASE WHEN 1=1: a branch on a constant is how blind injection asks its questions.
    if (isWord(token, 'IF') && isPunct(tokens[at + 1], '(') && constantCondition(tokens, at + 2)) return true;
    if (isWord(token, 'WHEN') && constantCondition(tokens, at + 1)) return true;
    // Writing files or running programs from a query: INTO OUTFILE/DUMPFILE, COPY … TO/FROM PROGRAM.
    if (isWord(token, 'INTO') && isWord(tokens[at + 1], 'OUTFILE', 'DUMPFILE')) return true;
    if (isWord(token, 'TO', 'FROM') && isWord(tokens[at + 1], 'PROGRAM') && tokens[at + 2]?.kind === 'string') return true;
    if (token.kind !== 'string' && CONNECTIVES.has(token.text) && tautologyAfter(tokens, at)) return true;
    const select = unionSelectAt(tokens, at);
    if (select >= 0 && (!statement || extractingSelect(tokens, select) || truncates(tokens[tokens.length - 1]))) return true;
  }
  const last = tokens.length > from ? tokens[tokens.length - 1] : undefined;
  // `1 --`, `1)#`, `'abc' /*`: a literal, then a comment with nothing in it, at the very end.
  if (last && truncates(last) && (isLiteral(last) || isPunct(last, ')'))) return true;
  return false;
}

/** A constant condition right after a connective: `OR 1=1`, `AND 'a' LIKE 'a'`, `|| (2>1)`. */
function tautologyAfter(tokens: readonly SqlToken[], connective: number): boolean {
  return constantCondition(tokens, connective + 1);
}

function constantCondition(tokens: readonly SqlToken[], at: number): boolean {
  const { expression } = predicateAt(tokens, at);
  return expression !== null && expression.condition && expression.constant;
}

/**
 * Value-only signals: text that should be a number or a word but carries clauses or subqueries,
 * after a literal or at the very start (payloads meant to be appended: ` ORDER BY 3`).
 */
function valueSignal(tokens: readonly SqlToken[]): boolean {
  for (let at = 0; at < tokens.length; at++) {
    const token = tokens[at];
    const previous = tokens[at - 1];
    const afterValue = at === 0 || isLiteral(previous) || isPunct(previous, ')');
    if (afterValue && isWord(token, ...PROBE_CLAUSES) && probeClause(tokens, at)) return true;
    if (afterValue && token.kind !== 'string' && CONNECTIVES.has(token.text)) {
      const { expression, end } = predicateAt(tokens, at + 1);
      if (expression && (expression.subquery || (expression.call && expression.condition))) return true;
      // Text that starts with a connective is a condition meant to be appended: ` OR x=y`, ` or true`.
      if (at === 0 && expression && (expression.condition || expression.constant) && validFollow(tokens, end, '')) return true;
    }
  }
  return false;
}

/** `ORDER BY 3`, `GROUP BY x HAVING 1=1`, `PROCEDURE ANALYSE()`, `INTO OUTFILE`, `LIMIT 1,1`. */
function probeClause(tokens: readonly SqlToken[], at: number): boolean {
  const word = tokens[at].text;
  const next = tokens[at + 1];
  // A column number probes how many columns the query has; otherwise the rest must be cut off.
  if (word === 'ORDER' || word === 'GROUP') {
    const having = tokens.slice(at + 2, at + 2 + CLAUSE_REACH).some((token) => isWord(token, 'HAVING'));
    return isWord(next, 'BY') && (tokens[at + 2]?.kind === 'number' || truncates(tokens[tokens.length - 1]) || having);
  }
  if (word === 'HAVING') return predicateAt(tokens, at + 1).expression?.condition === true;
  if (word === 'PROCEDURE') return isWord(next, 'ANALYSE', 'ANALYZE');
  if (word === 'INTO') return isWord(next, 'OUTFILE', 'DUMPFILE');
  if (word === 'LIMIT') return next?.kind === 'number' && (truncates(next) || isPunct(tokens[at + 2], ',') || truncates(tokens[at + 3]));
  return false;
}

/**
 * After a literal that the text closed: does what follows continue into SQL? The literal is the
 * first token; `)` may follow (the query had the value in parentheses).
 */
function breakoutSignal(tokens: readonly SqlToken[], quote: string): boolean {
  if (tokens[0].kind !== 'string' || !tokens[0].terminated) return false;
  let at = 1;
  while (isPunct(tokens[at], ')')) at += 1;
  // `admin'--`, `admin' #`, `x')/*`: the comment swallows the query's own closing quote and
  // nothing else, or it is an open `/*` that swallows everything. A line comment with words in
  // it (`"--help" prints usage`) is prose.
  const comment = tokens[at - 1].commentAfter;
  if (comment) {
    const body = comment.body.endsWith(quote) ? comment.body.slice(0, -1) : comment.body;
    if (comment.unterminated || CONTENTLESS.test(body)) return true;
  }
  const next = tokens[at];
  if (!next) return false;
  if (isPunct(next, ';')) return startsStatement(tokens, at + 1) || next.commentAfter !== undefined;
  // SQL Server runs a second statement without a `;`: `' exec sp_addlogin 'x'`, `' insert into …`.
  if (startsStatement(tokens, at)) return true;
  if (next.kind === 'string' || next.kind === 'number' || next.kind === 'variable') return false;
  if (unionSelectAt(tokens, at) >= 0) return true;
  if (isWord(next, ...PROBE_CLAUSES)) return probeClause(tokens, at);
  if (CONNECTIVES.has(next.text)) {
    const { expression, end } = predicateAt(tokens, at + 1);
    if (!expression || !validFollow(tokens, end, quote)) return false;
    // `' OR name='x`, `' AND SLEEP(5)`, `' OR (SELECT …)`, `' or ''-'`, and after `||` any constant
    // (`'||'`, `adm'||'in`). Not a bare column (`James' or Mary`), nor a lone literal after a word
    // connective unless a comment cuts the query off: `grep 'or' src` quotes a word, `' or 1--` does not.
    if (expression.condition || expression.subquery || expression.call) return true;
    if (!expression.constant) return false;
    const symbolic = next.text === '||' || next.text === '&&';
    if (symbolic || !expression.bare || tokens[end - 1].commentAfter !== undefined) return true;
    // `'or'1=1` is `'' OR '1=1'`, true in MySQL, where the string is read by its number.
    return (next.text === 'OR' || next.text === 'XOR') && truthy(expression.bare);
  }
  const operator = (next.kind === 'operator' && (COMPARISONS.has(next.text) || ARITHMETIC.has(next.text)))
    || isWord(next, 'LIKE', 'ILIKE', 'RLIKE', 'REGEXP', 'IS', 'IN', 'BETWEEN', 'DIV', 'MOD', 'NOT', 'SOUNDS');
  if (!operator) return false;
  // The operator continues the closed literal: parse from a literal standing in for it.
  const tail = [LITERAL_STAND_IN, ...tokens.slice(at, at + PARSE_BUDGET)];
  const parser = new Parser(tail, 0);
  return parser.predicate() !== null && validFollow(tokens, at + parser.at - 1, quote);
}

const LITERAL_STAND_IN: SqlToken = { kind: 'string', text: "''", terminated: true };

/**
 * The query's own closing quote, left open because the text ended without reopening a literal
 * (`' OR 1=1`). The query is then a syntax error in the strictest reading, but the catalogues
 * are full of such payloads because many drivers and templates close or trim it for them.
 */
const isDanglingQuote = (token: SqlToken | undefined, quote: string, tokens: readonly SqlToken[]) =>
  token !== undefined && token === tokens[tokens.length - 1] && token.kind === 'string' && !token.terminated && token.text === quote;

/** What may come after a complete condition: the end, a comment, `;`, `)`, a connective or a clause. */
function validFollow(tokens: readonly SqlToken[], end: number, quote: string): boolean {
  if (end <= 0) return false;
  if (tokens[end - 1]?.commentAfter) return true;
  const next = tokens[end];
  if (!next || isDanglingQuote(next, quote, tokens)) return true;
  if (isPunct(next, ';') || isPunct(next, ')')) return true;
  if (next.kind === 'string') return false;
  return CONNECTIVES.has(next.text) || isWord(next, ...CLAUSE_KEYWORDS);
}

/** Judges one decoded form of the text in each of the three readings. */
function injectedForm(text: string): boolean {
  const raw = scanSql(text);
  const statement = isStatement(raw.tokens);
  if (structuralSignal(raw, statement)) return true;
  if (!statement && valueSignal(raw.tokens)) return true;
  const wellFormedQuery = statement && !raw.tokens.some((token) => token.kind === 'string' && !token.terminated);
  if (wellFormedQuery) return false;
  for (const quote of ["'", '"']) {
    if (!text.includes(quote)) continue;
    const quoted = scanSql(`${quote}${text}${quote}`);
    if (breakoutSignal(quoted.tokens, quote)) return true;
    if (structuralSignal(quoted, false, 1)) return true;
  }
  return false;
}

/** True when the text looks like it carries a SQL injection (see the module comment for what counts). */
export function detectSqlInjection(text: string): boolean {
  return inspectionForms(text).some(injectedForm);
}
