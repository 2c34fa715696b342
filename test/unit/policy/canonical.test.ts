import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { presetPath } from '../../../src/patterns/presets.js';
import { canonicalResource } from '../../../src/policy/canonical.js';
import {
  decodeBackslashEscapes, decodeForInspection, decodeNumericEntities, foldCompatibility, foldFullwidth, inspectionForms,
  percentDecodeLenient, percentDecodeStrict, MAX_DECODE_ROUNDS,
} from '../../../src/policy/decode.js';
import { PolicyEngine } from '../../../src/policy/engine.js';
import { loadPolicySet } from '../../../src/policy/load.js';
import type { PolicyRequest } from '../../../src/policy/types.js';

const canonical = (resource: string) => {
  const result = canonicalResource(resource);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(resource)} to canonicalise: ${result.reason}`);
  return result.resource;
};
const refusal = (resource: string) => {
  const result = canonicalResource(resource);
  if (result.ok) throw new Error(`expected ${JSON.stringify(resource)} to be refused, got ${JSON.stringify(result.resource)}`);
  return result.reason;
};

describe('canonicalResource', () => {
  it.each([
    'dataset://phi/records', 'dataset://public/sales-2024', 'tool://sql_query', 'model://gpt-4', 'model://claude-opus-4',
    'dataset://eu_citizens/a/b', 'dataset://phi/records/', 'graph://acme/etl.v2', 'dataset://', 'arn:aws:s3:::bucket/key', '/var/data/x',
  ])('returns the very string for the plain resource %s', (resource) => {
    const result = canonicalResource(resource);
    expect(result).toEqual({ ok: true, resource });
    expect(result.ok && result.resource).toBe(resource);
  });

  it.each([
    ['dataset://public/../phi/records', 'dataset://phi/records'],
    ['dataset://public/%2e%2e/phi/records', 'dataset://phi/records'],
    ['dataset://public/%2E%2E/phi/records', 'dataset://phi/records'],
    ['dataset://public/%252e%252e/phi/records', 'dataset://phi/records'],
    ['dataset://public/%25252e%25252e/phi/records', 'dataset://phi/records'],
    ['dataset://public//..//phi/records', 'dataset://phi/records'],
    ['dataset://public/．．/phi/records', 'dataset://phi/records'],
    ['dataset://public/%EF%BC%8E%EF%BC%8E/phi/records', 'dataset://phi/records'],
    ['dataset://public%2f..%2fphi/records', 'dataset://phi/records'],
    ['dataset://public/.%2e/phi/records', 'dataset://phi/records'],
    ['dataset://public／．．／phi／records', 'dataset://phi/records'],
    ['dataset://ｐｈｉ/records', 'dataset://phi/records'],
    ['dataset://phi/./records', 'dataset://phi/records'],
    ['dataset://phi//records', 'dataset://phi/records'],
    ['dataset:///phi/records', 'dataset://phi/records'],
    ['dataset://phi/records/.', 'dataset://phi/records/'],
    ['dataset://phi/a/b/../../records', 'dataset://phi/records'],
    ['DATASET://phi/records', 'dataset://phi/records'],
    ['Dataset://PHI/records', 'dataset://PHI/records'],
    ['dataset://phi/r%C3%A9sum%C3%A9', 'dataset://phi/résumé'],
    ['dataset://phi/re\u0301sume\u0301', 'dataset://phi/résumé'],
    ['dataset://phi/a%20b', 'dataset://phi/a b'],
    ['dataset://phi/100%', 'dataset://phi/100%'],
    ['dataset://phi/100%zz', 'dataset://phi/100%zz'],
    ['a//b/./c', 'a/b/c'],
    ['/var//data/../x', '/var/x'],
  ])('canonicalises %j to %j', (resource, expected) => {
    expect(canonical(resource)).toBe(expected);
  });

  it.each([
    ['dataset://../phi/records', /climbs with \.\. above the first segment after dataset:\/\/.*without \.\. segments/],
    ['dataset://public/../../phi', /climbs with \.\./],
    ['dataset://%2e%2e/phi', /climbs with \.\./],
    ['/../etc/passwd', /climbs with \.\. above its first segment/],
    ['dataset://phi/%00records', /NUL byte/],
    ['dataset://phi/records%0a', /control character \(U\+000A\)/],
    ['dataset://phi/\u0007', /control character/],
    ['dataset://phi/%c2%85', /control character \(U\+0085\)/],
    ['dataset://public\\..\\phi', /backslash/],
    ['dataset://public/%5c..%5cphi', /backslash/],
    ['dataset://public/＼．．＼phi', /backslash/],
    ['dataset://public/%c0%ae%c0%ae/phi', /overlong UTF-8 encoding of '\.'; send '\.' itself/],
    ['dataset://public/%e0%80%ae%e0%80%ae/phi', /overlong UTF-8 encoding of '\.'/],
    ['dataset://public/%c0%af', /overlong UTF-8 encoding of '\/'/],
    ['dataset://phi/%ff', /%ff at offset \d+ is not valid UTF-8; percent-encode the UTF-8 bytes/],
    ['dataset://phi/%e2%82', /not valid UTF-8/],
    ['dataset://phi/%ed%a0%80', /not valid UTF-8/],
    ['dataset://public/%u002e%u002e/phi', /%u002e .* is not percent-encoding; send the character itself/],
    ['dataset://phi/\ud800', /lone UTF-16 surrogate/],
    ['dataset://phi/a\u202egnp.exe', /invisible Unicode format character/],
    ['dataset://ph\u200bi/records', /invisible Unicode format character/],
    [' dataset://phi/records', /leading or trailing whitespace; send it without/],
    ['dataset://phi/records ', /leading or trailing whitespace/],
    ['dataset://phi/%2525252525', /percent-encoded more than 4 times over; encode it once/],
  ])('refuses %j, saying what is wrong and how to send it', (resource, reason) => {
    expect(refusal(resource)).toMatch(reason);
    expect(refusal(resource)).toContain('resource "');
  });

  it('names long resources by a prefix only', () => {
    const reason = refusal(`dataset://phi/${'a'.repeat(500)}%00`);
    expect(reason.length).toBeLessThan(300);
  });

  it('is idempotent: a canonical resource is its own canonical form, returned as the same string', () => {
    const resource = fc.stringMatching(/^(?:[a-z]{1,6}:\/\/)?(?:(?:[a-zA-Z0-9_]{1,4}|\.|\.\.|%2[eE]|%252[eE]|．|%2[fF]|\/|%20|é|e\u0301|%C3%A9){0,8}\/?){0,4}$/);
    fc.assert(fc.property(resource, (input) => {
      const first = canonicalResource(input);
      if (!first.ok) return;
      const second = canonicalResource(first.resource);
      expect(second).toEqual(first);
      if (/^[\x21-\x7e]*$/.test(first.resource)) expect(second.ok && second.resource).toBe(first.resource);
    }), { numRuns: 2000 });
  });

  it('leaves nothing a glob or a handler could read as a dot segment, an escape or an empty segment', () => {
    const resource = fc.stringMatching(/^dataset:\/\/(?:[a-z]{1,3}|\.|\.\.|%2e|%252e|．|%2f|\/|%5c|%00|%c0%ae){0,10}$/);
    fc.assert(fc.property(resource, (input) => {
      const result = canonicalResource(input);
      if (!result.ok) return;
      const path = result.resource.slice('dataset://'.length);
      expect(path.split('/').slice(0, -1)).not.toContain('');
      expect(path.split('/')).not.toContain('..');
      expect(path.split('/')).not.toContain('.');
      expect(result.resource).not.toMatch(/%[0-9a-f]{2}|\\|\0/i);
    }), { numRuns: 2000 });
  });
});

/**
 * Issue 10: `data:read dataset://public/../phi/records` was allowed by allow_public_data_read in
 * the enterprise preset, past the HIPAA rules. The engine matches globs on the string it is given,
 * so the fix is to canonicalise the request's resource first (the integrator wires
 * canonicalResource into the engine and the operation schema); a refused resource never reaches
 * the engine. These requests must end in a deny or an approval once that is done.
 */
describe('the enterprise preset on canonicalised resources', () => {
  const engine = new PolicyEngine(loadPolicySet(presetPath('enterprise')));
  const read = (resource: string, context: Record<string, unknown> = {}, attributes: Record<string, unknown> = {}): PolicyRequest => ({
    subject: { identifier: 'viewer-1', roles: ['viewer'], attributes },
    action: 'data:read',
    resource,
    context,
  });
  /** What the integrated pipeline decides: canonicalise, then evaluate; a refusal is a denial with its reason. */
  const decide = (request: PolicyRequest) => {
    const result = canonicalResource(request.resource);
    if (!result.ok) return { effect: 'deny', rule: null, reason: result.reason };
    return engine.evaluate({ ...request, resource: result.resource });
  };

  const disguised = [
    'dataset://public/../phi/records',
    'dataset://public/%2e%2e/phi/records',
    'dataset://public/%252e%252e/phi/records',
    'dataset://public//..//phi/records',
    'dataset://public/．．/phi/records',
    'dataset://public/%EF%BC%8E%EF%BC%8E/phi/records',
    'dataset://public/x/../../phi/records',
  ];

  it.each(disguised)('allows %s today when it is not canonicalised (the fault)', (resource) => {
    expect(engine.evaluate(read(resource))).toMatchObject({ effect: 'allow', rule: 'allow_public_data_read' });
  });

  it.each(disguised)('denies %s by the HIPAA rule once canonicalised', (resource) => {
    expect(decide(read(resource))).toMatchObject({ effect: 'deny', rule: 'hipaa_phi_preconditions_missing' });
  });

  it.each(disguised)('asks for approval for %s with documented necessity and training, as for the plain resource', (resource) => {
    const request = read(resource, { medical_necessity_documented: true }, { hipaa_training: true });
    expect(decide(request)).toMatchObject({ effect: 'require_approval', rule: 'hipaa_phi_approval' });
    expect(decide(request)).toEqual(decide({ ...request, resource: 'dataset://phi/records' }));
  });

  it.each([
    'dataset://public/%c0%ae%c0%ae/phi/records',
    'dataset://public/..%5cphi/records',
    'dataset://../phi/records',
  ])('refuses %s before the policy sees it', (resource) => {
    expect(decide(read(resource))).toMatchObject({ effect: 'deny', rule: null, reason: expect.stringMatching(/^resource "/) });
  });

  it('still allows a public read', () => {
    expect(decide(read('dataset://public/./sales//2024'))).toMatchObject({ effect: 'allow', rule: 'allow_public_data_read' });
  });
});

describe('decode.ts', () => {
  it('percentDecodeStrict decodes UTF-8 and keeps a % that starts no escape', () => {
    expect(percentDecodeStrict('a%2Fb%20c%e2%82%ac%')).toEqual({ ok: true, text: 'a/b c€%' });
    expect(percentDecodeStrict('100%zz')).toEqual({ ok: true, text: '100%zz' });
  });

  it('percentDecodeStrict refuses what a correct UTF-8 decoder refuses, naming the escape', () => {
    expect(percentDecodeStrict('%c0%ae')).toMatchObject({ ok: false, reason: expect.stringContaining("%c0%ae at offset 0 is an overlong UTF-8 encoding of '.'") });
    expect(percentDecodeStrict('x%80')).toMatchObject({ ok: false, reason: expect.stringContaining('%80 at offset 1 is not valid UTF-8') });
    expect(percentDecodeStrict('%f8%88%80%80%80')).toMatchObject({ ok: false });
    expect(percentDecodeStrict('%f4%90%80%80')).toMatchObject({ ok: false });
  });

  it.each([
    ['%c0%ae', '.'], ['%c0%af', '/'], ['%c1%9c', '\\'], ['%e0%80%ae', '.'], ['%f0%80%80%ae', '.'], ['%f8%80%80%80%ae', '.'],
    ['%fc%80%80%80%80%af', '/'], ['%c0%2e', '.'], ['%c0%2f', '/'], ['%c0%5c', '\\'], ['%c1%1c', '\\'], ['%e0%40%ae', '.'],
    ['%u002e', '.'], ['%u2215', '\u2215'], ['%ff', '%ff'], ['%2', '%2'], ['%e2%82%ac', '€'],
  ])('percentDecodeLenient reads %s as %j, as the most careless decoder would', (input, expected) => {
    expect(percentDecodeLenient(input)).toBe(expected);
  });

  it('foldFullwidth maps U+FF01–U+FF5E to ASCII and nothing else', () => {
    expect(foldFullwidth('．．／ＡＢｃ１！～')).toBe('../ABc1!~');
    expect(foldFullwidth('日本語 ｶﾀｶﾅ')).toBe('日本語 ｶﾀｶﾅ');
    const plain = 'dataset://phi';
    expect(foldFullwidth(plain)).toBe(plain);
  });

  it('foldCompatibility folds NFKC forms, lookalike slashes, typographic quotes and Unicode line breaks, and drops invisibles', () => {
    expect(foldCompatibility('‥∕﹒﹒⁄∖')).toBe('../../\\');
    expect(foldCompatibility('’ “ ” – —')).toBe(`' " " - -`);
    expect(foldCompatibility('a\u2028b\u0085c')).toBe('a\nb\nc');
    expect(foldCompatibility('UN\u200bION SEL\u00adECT')).toBe('UNION SELECT');
  });

  it('decodeNumericEntities decodes numeric references only', () => {
    expect(decodeNumericEntities('&#46;&#x2E;&#47 &amp; &#;')).toBe('../ &amp; &#;');
  });

  it('decodeBackslashEscapes decodes \\n, \\r, \\t, \\xHH and \\uHHHH, and keeps Windows paths', () => {
    expect(decodeBackslashEscapes('a\\nb\\r\\tc\\x3bd\\u002ee\\u{2e}')).toBe('a\nb\r\tc;d.e.');
    expect(decodeBackslashEscapes('C:\\2024\\01\\\\n')).toBe('C:\\2024\\01\\\\n');
  });

  it('inspectionForms lists the raw text and each decoded round until it is stable', () => {
    expect(inspectionForms('%252e%252e%252f')).toEqual(['%252e%252e%252f', '%2e%2e%2f', '../']);
    expect(inspectionForms('%%32%65')).toEqual(['%%32%65', '%2e', '.']);
    expect(inspectionForms('plain text')).toEqual(['plain text']);
    expect(decodeForInspection('&#37;3B')).toBe(';');
  });

  it(`inspectionForms stops after ${MAX_DECODE_ROUNDS} rounds`, () => {
    const deep = `%${'25'.repeat(10)}2e`;
    expect(inspectionForms(deep)).toHaveLength(MAX_DECODE_ROUNDS + 1);
  });
});
