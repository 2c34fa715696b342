import { describe, expect, it } from 'vitest';
import { canonicalResource } from '../../../src/policy/canonical.js';
import {
  detectCommandInjection, detectPathTraversal, detectSqlInjection, isDomainAllowed, isPathAllowed,
} from '../../../src/patterns/security.js';

/**
 * Each detector runs on the worker's thread for every request, so a backtracking regex or a
 * rescanning loop would let one argument stall every operation on the worker. These 100 KB
 * inputs are built from the constructs each scanner nests, repeats or leaves open (quotes,
 * parentheses, substitutions, comments, escapes, encodings). The test asserts only that each
 * call returns; a super-linear path turns it into a time-out. The throughput per detector on
 * 10,000-character inputs is measured by `npx tsx bench/detectors.ts`.
 */
const SIZE = 100_000;
const fill = (unit: string, prefix = '', suffix = '') => prefix + unit.repeat(Math.ceil((SIZE - prefix.length - suffix.length) / unit.length)) + suffix;

const SQL = [
  fill('('), fill(')'), fill("'"), fill('"'), fill("' OR "), fill('OR ('), fill(' OR 1=1'), fill('1=1 AND '), fill('/*'), fill('--'), fill('#'),
  fill('/*!'), fill('$a$'), fill('$'), fill('%25'), fill('%c0%ae'), fill('UNION SELECT '), fill('ORDER BY x '), fill('GROUP BY a '), fill('CASE '),
  fill('a.'), fill('IF('), fill(' WHEN '), fill('CHAR('), fill('; SELECT '), fill("''"), fill("'||'"), fill('x = x OR '), fill('N'),
  fill('1', "' OR "), fill(' ', "'"), fill('&#', ''), fill('\\u{'), fill('\\x'), fill('（'), fill('–'),
];
const COMMAND = [
  fill('$('), fill('`'), fill("'"), fill('"'), fill('\\'), fill('${'), fill("$'"), fill('; a'), fill('|'), fill('#'), fill('a#'), fill('\n'),
  fill('{a,'), fill('<('), fill('%0a'), fill('$a'), fill('&&'), fill('a '), fill(')'), fill('"$('), fill("'`"), fill('; cat '), fill('>'),
  fill('system('), fill('\\\n'), fill(' ', '$('), fill('x', "'"), fill('x', '"'), fill('${a'), fill('&'),
];
const PATH = [
  fill('../'), fill('..\\'), fill('%2e'), fill('%25'), fill('....//'), fill('..;/'), fill('%c0'), fill('%c0%ae'), fill('%u2215'), fill('/'),
  fill('.'), fill('. '), fill('a/'), fill('&#46;'), fill('．'), fill('~'), fill('x', 'https://h/'),
];
const URLS = [
  fill('a.', 'https://', 'api.example.com/'), fill('@', 'https://'), fill('%2f', 'https://api.example.com/'), fill('a', 'https://'),
  fill('\\', 'https://'), fill(':', 'https://api.example.com'), fill('[', 'http://'), fill('xn--', 'https://'),
];
const RESOURCES = [
  fill('a/../', 'dataset://'), fill('%252e', 'dataset://'), fill('/', 'dataset://'), fill('．', 'dataset://'), fill('%', 'dataset://'),
  fill('a', 'dataset://'), fill('%c0%ae', 'dataset://'), fill('./', 'dataset://'),
];

describe('detectors on 100 KB adversarial input', () => {
  it.each(SQL.map((text, index) => [index, text]))('detectSqlInjection returns on input %i', (_, text) => {
    expect(typeof detectSqlInjection(text)).toBe('boolean');
  });

  it.each(COMMAND.map((text, index) => [index, text]))('detectCommandInjection returns on input %i', (_, text) => {
    expect(typeof detectCommandInjection(text)).toBe('boolean');
  });

  it.each(PATH.map((text, index) => [index, text]))('detectPathTraversal and isPathAllowed return on input %i', (_, text) => {
    expect(typeof detectPathTraversal(text)).toBe('boolean');
    expect(typeof isPathAllowed(text, ['/tmp/agent', 'out'])).toBe('boolean');
  });

  it.each(URLS.map((text, index) => [index, text]))('isDomainAllowed returns on input %i', (_, text) => {
    expect(typeof isDomainAllowed(text, ['api.example.com', '*.trusted.org'])).toBe('boolean');
  });

  it.each(RESOURCES.map((text, index) => [index, text]))('canonicalResource returns on input %i', (_, text) => {
    expect(typeof canonicalResource(text).ok).toBe('boolean');
  });
});
