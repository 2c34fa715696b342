/**
 * Glob semantics from DESIGN.md "Policy semantics": `*` crosses `/` and `:`, `?` is exactly one
 * character, classes, escapes, case-sensitive, whole-string.
 *
 * Why not picomatch directly (see the header of src/policy/glob.ts): picomatch has *path* semantics
 * that contradict ours even with `bash: true` — `?` never matches `/`, a lone `*` does not match the
 * empty string, a leading `./` is stripped and `..` segments are refused. Action and resource names
 * are identifiers, not paths. So the engine compiles its own globs, and the differential property
 * below only compares the two where their semantics coincide: values with no `/` and no `.`, and
 * non-empty values.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import picomatch from 'picomatch';
import { compileGlob, GlobSyntaxError } from '../../../src/index.js';

const matches = (pattern: string, value: string) => compileGlob(pattern).test(value);

describe('compileGlob: * crosses / and :', () => {
  it.each([
    ['*production*', 'dataset://production/sales', true],
    ['*production*', 'dataset://staging/sales', false],
    ['dataset://eu_citizens/*', 'dataset://eu_citizens/a/b', true],
    ['dataset://eu_citizens/*', 'dataset://eu_citizens/', true],
    ['dataset://eu_citizens/*', 'dataset://us_citizens/a', false],
    ['tool://sql_*', 'tool://sql_query', true],
    ['tool://sql_*', 'tool://db_query', false],
    ['data:*', 'data:read', true],
    ['data:*', 'agent:read', false],
    ['*:read', 'data:export:read', true],
    ['a*b*c', 'a/x:b//c', true],
    ['a*b*c', 'a/x:c//b', false],
    ['*', 'x://y/z:w', true],
  ])('%s vs %s -> %s', (pattern, value, expected) => {
    expect(matches(pattern, value)).toBe(expected);
  });

  it('a lone * matches the empty string, and so does **', () => {
    expect(matches('*', '')).toBe(true);
    expect(matches('**', '')).toBe(true);
    expect(matches('a*', 'a')).toBe(true);
    expect(matches('*a', 'a')).toBe(true);
    expect(matches('a*a', 'a')).toBe(false); // prefix and suffix may not overlap
    expect(matches('a*a', 'aa')).toBe(true);
  });
});

describe('compileGlob: ? is exactly one character', () => {
  it.each([
    ['a?c', 'abc', true],
    ['a?c', 'a/c', true],
    ['a?c', 'a:c', true],
    ['a?c', 'ac', false],
    ['a?c', 'abbc', false],
    ['?', '', false],
    ['?', 'x', true],
    ['??', 'x', false],
    ['r://?/b', 'r://a/b', true],
    ['r://?/b', 'r://ab/b', false],
    ['*?', '', false],
    ['*?', 'z', true],
  ])('%s vs %s -> %s', (pattern, value, expected) => {
    expect(matches(pattern, value)).toBe(expected);
  });
});

describe('compileGlob: character classes', () => {
  it.each([
    ['[abc]', 'a', true],
    ['[abc]', 'c', true],
    ['[abc]', 'd', false],
    ['[abc]', 'ab', false],
    ['x[a-c]y', 'xby', true],
    ['x[a-c]y', 'xdy', false],
    ['[a-cx-z]', 'y', true],
    ['[a-cx-z]', 'm', false],
    ['[0-9][0-9]', '42', true],
    ['[0-9][0-9]', '4a', false],
    ['[!a]', 'b', true],
    ['[!a]', 'a', false],
    ['[^a]', 'b', true],
    ['[^a]', 'a', false],
    ['[!a-c]', 'd', true],
    ['[!a-c]', 'b', false],
    ['[!a]', '/', true],
    ['[]]', ']', true],
    ['[]a]', 'a', true],
    ['[a-]', '-', true],
    ['[-a]', '-', true],
    ['[a\\-z]', '-', true],
    ['[a\\-z]', 'm', false], // escaped dash is not a range
    ['[\\]]', ']', true],
    ['[.]', '.', true],
    ['[.]', 'x', false],
    ['[a^]', '^', true],
    ['[/:]', ':', true],
  ])('%s vs %s -> %s', (pattern, value, expected) => {
    expect(matches(pattern, value)).toBe(expected);
  });
});

describe('compileGlob: escapes, literals, case, anchoring', () => {
  it.each([
    ['\\*', '*', true],
    ['\\*', 'x', false],
    ['a\\?', 'a?', true],
    ['a\\?', 'ab', false],
    ['\\[x]', '[x]', true],
    ['\\[x]', 'x', false],
    ['a\\\\b', 'a\\b', true],
    ['*\\*', 'abc*', true],
    ['*\\*', 'abc', false],
    ['\\**', '*abc', true],
    ['\\**', 'abc', false],
  ])('escape: %s vs %s -> %s', (pattern, value, expected) => {
    expect(matches(pattern, value)).toBe(expected);
  });

  it('is case-sensitive', () => {
    expect(matches('Data:Read', 'data:read')).toBe(false);
    expect(matches('data:*', 'DATA:read')).toBe(false);
    expect(matches('*Prod*', 'production')).toBe(false);
    expect(matches('[A-Z]', 'a')).toBe(false);
    expect(matches('Data:Read', 'Data:Read')).toBe(true);
  });

  it('matches the whole string, not a substring', () => {
    expect(matches('read', 'data:read')).toBe(false);
    expect(matches('data', 'data:read')).toBe(false);
    expect(matches('a?', 'abc')).toBe(false);
    expect(matches('[ab]', 'xa')).toBe(false);
    expect(matches('a*b?', 'axxbyz')).toBe(false);
  });

  it.each([
    ['a.b', 'a.b', true],
    ['a.b', 'axb', false],
    ['(x)', '(x)', true],
    ['(x)', 'x', false],
    ['a+b', 'a+b', true],
    ['a+b', 'aab', false],
    ['{a,b}', '{a,b}', true],
    ['{a,b}', 'a', false],
    ['a|b', 'a', false],
    ['a|b', 'a|b', true],
    ['^a$', '^a$', true],
    ['^a$', 'a', false],
    ['!a', '!a', true],
    ['!a', 'b', false],
    ['a.*', 'a.bc', true],
    ['a.*', 'abc', false],
    ['$(x)*', '$(x)yz', true],
    ['+(a|b)', 'a', false],
    ['@(a)', 'a', false],
  ])('regex metacharacter literal: %s vs %s -> %s', (pattern, value, expected) => {
    expect(matches(pattern, value)).toBe(expected);
  });

  it('exposes the literal of a wildcard-free pattern, and null otherwise', () => {
    expect(compileGlob('data:read').literal).toBe('data:read');
    expect(compileGlob('a\\*').literal).toBe('a*');
    expect(compileGlob('data:*').literal).toBeNull();
    expect(compileGlob('data:*').prefix).toBe('data:');
  });
});

describe('compileGlob: invalid patterns throw GlobSyntaxError', () => {
  it.each([
    ['', /empty/],
    ['[abc', /unclosed/],
    ['a[', /unclosed/],
    ['x[!', /unclosed/],
    ['[]', /unclosed|empty/],
    ['abc\\', /lone/],
    ['\\', /lone/],
    ['[z-a]', /out of order/],
    ['[9-0]', /out of order/],
  ])('%j', (pattern, message) => {
    let thrown: unknown;
    try {
      compileGlob(pattern);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GlobSyntaxError);
    expect((thrown as GlobSyntaxError).pattern).toBe(pattern);
    expect((thrown as Error).message).toMatch(message);
  });
});

describe('compileGlob agrees with picomatch where their semantics coincide', () => {
  const PICOMATCH_OPTIONS = { bash: true, dot: true, nobrace: true, noextglob: true, nonegate: true, noquantifiers: true };
  const pattern = fc.array(fc.constantFrom('a', 'b', 'c', '*', '?'), { minLength: 1, maxLength: 8 }).map((chars) => chars.join(''));
  const value = fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 8 }).map((chars) => chars.join(''));

  it('on patterns over {a,b,c,*,?} and non-empty values over {a,b,c}', () => {
    fc.assert(
      fc.property(pattern, fc.array(value, { minLength: 1, maxLength: 6 }), (p, values) => {
        const ours = compileGlob(p);
        const theirs = picomatch(p, PICOMATCH_OPTIONS);
        for (const v of values) expect(ours.test(v), `${p} vs ${v}`).toBe(theirs(v));
      }),
      { numRuns: 2000 },
    );
  });

  it('on values generated to match (so the "true" side is exercised too)', () => {
    // Build a value from the pattern by instantiating each wildcard, then check both say true.
    const instance = pattern.chain((p) =>
      fc.tuple(...[...p].map((char) =>
        char === '*' ? fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 3 }).map((cs) => cs.join(''))
          : char === '?' ? fc.constantFrom('a', 'b', 'c')
            : fc.constant(char),
      )).map((parts) => ({ p, v: parts.join('') })),
    ).filter(({ v }) => v.length > 0);
    fc.assert(
      fc.property(instance, ({ p, v }) => {
        expect(compileGlob(p).test(v)).toBe(true);
        expect(picomatch(p, PICOMATCH_OPTIONS)(v)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('compileGlob agrees with a naive regex translation over / : . too', () => {
  // Naive on purpose: one regex, no shortcuts, so the fast paths in glob.ts (startsWith/endsWith/includes) are checked.
  const naive = (p: string) => new RegExp(`^${[...p].map((c) => (c === '*' ? '[\\s\\S]*' : c === '?' ? '[\\s\\S]' : c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))).join('')}$`);
  const chars = ['a', 'b', '/', ':', '.'];
  const pattern = fc.array(fc.constantFrom(...chars, '*', '?'), { minLength: 1, maxLength: 8 }).map((cs) => cs.join(''));
  const value = fc.array(fc.constantFrom(...chars), { maxLength: 8 }).map((cs) => cs.join(''));

  it('for random patterns and values, including the empty value', () => {
    fc.assert(
      fc.property(pattern, fc.array(value, { minLength: 1, maxLength: 6 }), (p, values) => {
        const ours = compileGlob(p);
        const reference = naive(p);
        for (const v of values) expect(ours.test(v), `${p} vs ${v}`).toBe(reference.test(v));
      }),
      { numRuns: 2000 },
    );
  });
});
