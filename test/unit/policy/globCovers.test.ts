/**
 * globCovers(outer, inner): true only if every string inner matches, outer matches too (the lead uses
 * it to keep approval grants within an approver's rule scope). Conservative: false when unsure.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileGlob, globCovers, GlobSyntaxError } from '../../../src/index.js';

describe('globCovers', () => {
  it.each([
    ['*', 'anything/at:all', true],
    ['dataset://*', 'dataset://eu/*', true],
    ['dataset://eu/*', 'dataset://*', false],
    ['dataset://eu/*', 'dataset://eu/reports', true],
    ['dataset://eu/*', 'dataset://us/reports', false],
    ['dataset://*/reports', 'dataset://eu/reports', true],
    ['*reports*', 'dataset://eu/reports/2024', true],
    ['dataset://?u/*', 'dataset://eu/*', true],
    ['dataset://[a-z]u/*', 'dataset://[e]u/x', true],
    ['dataset://[a-z]u/*', 'dataset://[!e]u/x', false],
    ['[!0-9]*', '[a-c]x', true],
    ['[!0-9]*', '[!0-9a-z]x', true],
    ['[!0-9a-z]*', '[!0-9]x', false],
    ['a?c', 'a*c', false],
    ['a*c', 'a?c', true],
    ['a\\*', 'a*', false],
    ['a*', 'a\\*', true],
    ['tool://sql_*', 'tool://sql_query', true],
    ['tool://sql_*', 'tool://*', false],
  ])('globCovers(%j, %j) is %s', (outer, inner, expected) => {
    expect(globCovers(outer, inner)).toBe(expected);
  });

  it('refuses invalid patterns as compileGlob does', () => {
    expect(() => globCovers('[a', 'a')).toThrow(GlobSyntaxError);
    expect(() => globCovers('a', '')).toThrow(GlobSyntaxError);
  });

  // Sound: whenever it says true, every string built from inner is matched by outer.
  const atom = fc.constantFrom('a', 'b', '/', '*', '?', '[ab]', '[!a]', '[a-c]');
  const pattern = fc.array(atom, { minLength: 1, maxLength: 6 }).map((parts) => parts.join(''));
  const fill = (p: string, choices: number[]): string => {
    let k = 0;
    const next = () => choices[k++ % choices.length];
    return p.replace(/\[!a\]|\[ab\]|\[a-c\]|\*|\?/g, (token) => {
      const pool = token === '*' ? ['', 'a', 'b/', 'cab', 'x'] : token === '?' ? ['a', 'b', 'z', '/'] : token === '[ab]' ? ['a', 'b'] : token === '[!a]' ? ['b', 'z', '/'] : ['a', 'b', 'c'];
      return pool[next() % pool.length];
    });
  };

  it('is sound: when it says outer covers inner, outer matches every instance of inner', () => {
    fc.assert(
      fc.property(pattern, pattern, fc.array(fc.array(fc.nat(20), { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 12 }), (outer, inner, fills) => {
        if (!globCovers(outer, inner)) return;
        const inside = compileGlob(inner);
        const wide = compileGlob(outer);
        for (const choices of fills) {
          const value = fill(inner, choices);
          if (inside.test(value)) expect(wide.test(value), `${outer} ⊇ ${inner} but not for ${value}`).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('says true for every pattern against itself and for * against anything', () => {
    fc.assert(fc.property(pattern, (p) => globCovers(p, p) && globCovers('*', p)), { numRuns: 500 });
  });
});
