/** The one dotted-path lookup (issue 13, "No duplicated helpers"): policy context, budget entities, error paths, MCP results. */
import { describe, expect, it } from 'vitest';
import { valueAtPath } from '../../../src/policy/context.js';

describe('valueAtPath', () => {
  const doc = JSON.parse('{"a":{"b":[10,{"c":"deep"}]},"__proto__":{"x":1},"n":null}');

  it('reads own keys and array indices, string or number segments', () => {
    expect(valueAtPath(doc, ['a', 'b', '1', 'c'])).toBe('deep');
    expect(valueAtPath(doc, ['a', 'b', 0])).toBe(10);
    expect(valueAtPath(doc, ['__proto__', 'x'])).toBe(1); // an own key from JSON is data
    expect(valueAtPath(doc, ['n'])).toBeNull();
    expect(valueAtPath(doc, [])).toBe(doc);
    expect(valueAtPath(doc, ['x', 'a'], 1)).toEqual(doc.a);
  });

  it('is undefined for what JSON does not hold: missing keys, inherited members, array length, out-of-range or non-index segments', () => {
    expect(valueAtPath(doc, ['a', 'missing'])).toBeUndefined();
    expect(valueAtPath({}, ['constructor'])).toBeUndefined();
    expect(valueAtPath({}, ['toString'])).toBeUndefined();
    expect(valueAtPath(doc, ['a', 'b', 'length'])).toBeUndefined();
    expect(valueAtPath(doc, ['a', 'b', '2'])).toBeUndefined();
    expect(valueAtPath(doc, ['a', 'b', '01'])).toBeUndefined();
    expect(valueAtPath(doc, ['n', 'x'])).toBeUndefined();
    expect(valueAtPath('text', ['length'])).toBeUndefined();
  });
});
