/**
 * Issue 10, "Glob backtracking": `*` used to compile to a backtracking regex, so
 * `dataset://*\/*\/*\/*.csv` against a 531-character resource took 6.4 s and `*a*a*a*a*a*b` against
 * 100 `a`s 11.5 s, freezing the worker. Tests may not assert time (the speed is in
 * `npm run bench:policy`), so these assert the answers on the pathological inputs, that no glob
 * compiles to a RegExp at all, and agreement with an O(n·m) dynamic-programming reference on
 * adversarial patterns and strings.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { compileGlob } from '../../../src/index.js';

const matches = (pattern: string, value: string) => compileGlob(pattern).test(value);

describe('compileGlob on the inputs that used to backtrack', () => {
  const longResource = `dataset://${'a/'.repeat(260)}x`; // 531 characters, no ".csv"
  it.each([
    ['dataset://*/*/*/*.csv', longResource, false],
    ['dataset://*/*/*/*.csv', `${longResource}.csv`, true],
    ['*a*a*a*a*a*b', 'a'.repeat(100), false],
    ['*a*a*a*a*a*b', `${'a'.repeat(100)}b`, true],
    ['*a*a*a*a*a*b', 'a'.repeat(10_000), false],
    ['*/*/*/*/*/*/*/*/*.csv', '/'.repeat(10_000), false],
    ['a*?*?*?*?*?*?*b', 'a'.repeat(10_000), false],
    ['*[ab]*[ab]*[ab]*[ab]*c', 'ab'.repeat(5_000), false],
    ['*[ab]*[ab]*[ab]*[ab]*c', `${'ab'.repeat(5_000)}c`, true],
  ])('%s vs %d characters', (pattern, value, expected) => {
    expect(matches(pattern, value)).toBe(expected);
  });
});

describe('compileGlob builds no regular expression', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('for any shape of pattern, so no input can make matching backtrack', () => {
    const constructed: string[] = [];
    const Native = RegExp;
    vi.stubGlobal('RegExp', new Proxy(Native, {
      construct(target, args) {
        constructed.push(String(args[0]));
        return Reflect.construct(target, args);
      },
    }));
    for (const pattern of ['dataset://*/*/*/*.csv', '*a*a*a*a*a*b', 'a?c', 'x[a-c]*y', '[!a]*', '*\\**', 'tool://*_?', 'r://?/b*']) {
      compileGlob(pattern).test('dataset://a/b/c/d.csv');
    }
    expect(constructed).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Reference: the textbook O(n·m) table over code points, written from the semantics in glob.ts.
// ---------------------------------------------------------------------------------------------

type Atom = { kind: 'char'; char: string } | { kind: 'star' } | { kind: 'one' } | { kind: 'class'; negate: boolean; members: string[]; ranges: [string, string][] };

function atomMatches(atom: Atom, char: string): boolean {
  if (atom.kind === 'one') return true;
  if (atom.kind === 'char') return atom.char === char;
  if (atom.kind !== 'class') return false;
  const code = char.codePointAt(0)!;
  const hit = atom.members.includes(char) || atom.ranges.some(([lo, hi]) => code >= lo.codePointAt(0)! && code <= hi.codePointAt(0)!);
  return hit !== atom.negate;
}

function referenceMatch(atoms: readonly Atom[], value: string): boolean {
  const chars = [...value];
  // row[j]: the atoms so far match the first j characters.
  let row = chars.map(() => false);
  row = [true, ...row];
  for (const atom of atoms) {
    const next = new Array<boolean>(chars.length + 1).fill(false);
    for (let j = 0; j <= chars.length; j++) {
      if (atom.kind === 'star') next[j] = row[j] || (j > 0 && next[j - 1]);
      else next[j] = j > 0 && row[j - 1] && atomMatches(atom, chars[j - 1]);
    }
    row = next;
  }
  return row[chars.length];
}

const SPECIAL = new Set(['*', '?', '[', '\\']);
function render(atoms: readonly Atom[]): string {
  return atoms.map((atom) => {
    switch (atom.kind) {
      case 'star': return '*';
      case 'one': return '?';
      case 'char': return SPECIAL.has(atom.char) ? `\\${atom.char}` : atom.char;
      case 'class': return `[${atom.negate ? '!' : ''}${atom.members.join('')}${atom.ranges.map(([lo, hi]) => `${lo}-${hi}`).join('')}]`;
    }
  }).join('');
}

// Few distinct characters and long runs of them: the shape that made backtracking explode.
const ALPHABET = ['a', 'b', '/', ':', '.', '😀'];
const char = fc.constantFrom(...ALPHABET);
const atom: fc.Arbitrary<Atom> = fc.oneof(
  { weight: 4, arbitrary: char.map((c): Atom => ({ kind: 'char', char: c })) },
  { weight: 1, arbitrary: fc.constantFrom('*', '?', '[', '\\').map((c): Atom => ({ kind: 'char', char: c })) },
  { weight: 4, arbitrary: fc.constant<Atom>({ kind: 'star' }) },
  { weight: 2, arbitrary: fc.constant<Atom>({ kind: 'one' }) },
  {
    weight: 2,
    arbitrary: fc.record({
      negate: fc.boolean(),
      members: fc.uniqueArray(fc.constantFrom('a', 'b', '/', '😀'), { minLength: 1, maxLength: 3 }),
      ranges: fc.array(fc.constantFrom<[string, string]>(['a', 'b'], ['.', ':'], ['😀', '😂']), { maxLength: 1 }),
    }).map((c): Atom => ({ kind: 'class', ...c })),
  },
);
const pattern = fc.array(atom, { minLength: 1, maxLength: 14 });
const runs = fc.array(fc.tuple(fc.constantFrom(...ALPHABET, '😂'), fc.integer({ min: 1, max: 40 })), { maxLength: 6 })
  .map((parts) => parts.map(([c, n]) => c.repeat(n)).join(''));

/** A value the pattern matches: each wildcard filled in, so the "true" side is well exercised. */
function instance(atoms: readonly Atom[]): fc.Arbitrary<string> {
  return fc.tuple(...atoms.map((a): fc.Arbitrary<string> => {
    if (a.kind === 'star') return runs.map((s) => s.slice(0, 12));
    if (a.kind === 'one') return fc.constantFrom(...ALPHABET);
    if (a.kind === 'char') return fc.constant(a.char);
    const inClass = [...ALPHABET, '😁', '😂', '*'].filter((c) => atomMatches(a, c));
    return inClass.length ? fc.constantFrom(...inClass) : fc.constant('');
  })).map((parts) => parts.join(''));
}

describe('compileGlob agrees with the O(n·m) reference on adversarial patterns and strings', () => {
  it('on long runs of few characters, astral code points included', () => {
    fc.assert(
      fc.property(pattern, fc.array(runs, { minLength: 1, maxLength: 5 }), (atoms, values) => {
        const glob = compileGlob(render(atoms));
        for (const value of values) expect(glob.test(value), `${render(atoms)} vs ${value}`).toBe(referenceMatch(atoms, value));
      }),
      { numRuns: 3000 },
    );
  });

  it('on values built from the pattern, and on those values with one character changed', () => {
    fc.assert(
      fc.property(pattern.chain((atoms) => fc.tuple(fc.constant(atoms), instance(atoms), fc.nat(), char)), ([atoms, value, at, replacement]) => {
        const glob = compileGlob(render(atoms));
        expect(glob.test(value), `${render(atoms)} vs ${value}`).toBe(referenceMatch(atoms, value));
        const chars = [...value];
        if (chars.length) chars[at % chars.length] = replacement;
        const changed = chars.join('');
        expect(glob.test(changed), `${render(atoms)} vs ${changed}`).toBe(referenceMatch(atoms, changed));
      }),
      { numRuns: 3000 },
    );
  });
});
