import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { TollgateInputError } from '../../src/errors.js';
import {
  REDACTED, RedactionConfigError, configureRedaction, createRedactor, isSecretKey, redact, redactString,
} from '../../src/redact.js';
import { nestedRepetition } from '../../src/redaction/userRegex.js';

describe('createRedactor with configured keys and patterns', () => {
  const redactor = createRedactor({
    keys: ['session_id', '^x-internal-', '/^tenant_signing$/'],
    patterns: ['ACME-[0-9]{6}', '/acme_live_[a-z]{8}/i'],
  });

  it('adds name keys as whole words, regex keys against the key as written', () => {
    expect(redactor.redact({ sessionId: 's', 'x-session-id': 's', session_identity: 'keep', 'X-Internal-Trace': 't', tenant_signing: 'k', tenant_signing_alg: 'keep' }))
      .toEqual({ sessionId: REDACTED, 'x-session-id': REDACTED, session_identity: 'keep', 'X-Internal-Trace': REDACTED, tenant_signing: REDACTED, tenant_signing_alg: 'keep' });
    expect(redactor.isSecretKey('user_session_id')).toBe(true);
    expect(redactor.isSecretKey('region')).toBe(false);
  });

  it('treats a number under a configured key as the secret itself', () => {
    expect(redactor.redact({ session_id: 991 })).toEqual({ session_id: REDACTED });
  });

  it('adds patterns, with flags when written as /source/flags, and keeps the defaults', () => {
    expect(redactor.redactString('ticket ACME-123456 and ACME_LIVE_abcdefgh with xoxb-1-2'))
      .toBe(`ticket ${REDACTED} and ${REDACTED} with ${REDACTED}`);
    expect(redactor.redactString('ACME-12345 is too short')).toBe('ACME-12345 is too short');
  });

  it('refuses entries that do not compile, could backtrack badly or match nothing, naming each', () => {
    const attempt = (options: Parameters<typeof createRedactor>[0]) => {
      try {
        createRedactor(options);
      } catch (error) {
        return error as RedactionConfigError;
      }
      throw new Error('expected createRedactor to refuse the options');
    };
    const error = attempt({ keys: ['ok', '(unclosed'], patterns: ['fine-[0-9]+', '(a+)+$', 'x*', '/x/g'] });
    expect(error).toBeInstanceOf(RedactionConfigError);
    expect(error).toBeInstanceOf(TollgateInputError);
    expect(error.message).toMatch(/^redaction\.keys\[1\]: "\(unclosed" does not compile: .*; fix the regular expression \(and 3 more\)$/);
    expect(error.issues.map((issue) => issue.path)).toEqual([['keys', 1], ['patterns', 1], ['patterns', 2], ['patterns', 3]]);
    expect(error.issues[1].message).toContain('repeats a group that itself repeats ((a+)+)');
    expect(error.issues[2].message).toContain('matches the empty string');
    expect(error.issues[3].message).toContain('unsupported flag(s) g');
  });
});

describe('nestedRepetition', () => {
  it('finds repeated groups whose contents vary in length', () => {
    for (const [pattern, group] of [['(a+)+', '(a+)+'], ['x(\\w*y)*z', '(\\w*y)*'], ['(?:[a-z]?,){2,}', '(?:[a-z]?,){2,}'], ['((ab)+c)+', '((ab)+c)+'], ['(a|bc)+', '(a|bc)+'], ['(a{1,3})*', '(a{1,3})*']]) {
      expect(nestedRepetition(pattern), pattern).toBe(group);
    }
  });

  it('allows fixed-length repeated groups, escapes, classes and lookarounds', () => {
    for (const pattern of ['(\\d{3}-)+', '[(a+)+]', '\\(a+\\)+', '(?:ab)+', '(?<![a-z])x+', '(?<name>a)+', 'a+b*c?', '(a+)']) {
      expect(nestedRepetition(pattern), pattern).toBeNull();
    }
  });
});

describe('config: redaction', () => {
  it('accepts keys and patterns and reports a bad entry by its path', () => {
    expect(parseConfig({ redaction: { keys: ['session_id'], patterns: ['ACME-[0-9]{6}'] } }).redaction)
      .toEqual({ keys: ['session_id'], patterns: ['ACME-[0-9]{6}'] });
    expect(parseConfig({}).redaction).toEqual({ keys: [], patterns: [] });
    expect(() => parseConfig({ redaction: { patterns: ['ok', '[unclosed'] } }, { source: 'tollgate.yaml' }))
      .toThrow(/^tollgate\.yaml: redaction\.patterns\.1: "\[unclosed" does not compile: .*; fix the regular expression$/);
    expect(() => parseConfig({ redaction: { keyz: [] } }, { source: 'tollgate.yaml' })).toThrow(/^tollgate\.yaml: redaction: /);
  });
});

describe('configureRedaction: one shared redactor for every sink', () => {
  afterEach(() => configureRedaction());

  it('replaces the redactor behind redact, redactString and isSecretKey', () => {
    expect(redact({ employee_number: 'E-1' })).toEqual({ employee_number: 'E-1' });
    configureRedaction({ keys: ['employee_number'], patterns: ['E-[0-9]{4}'] });
    expect(redact({ employee_number: 'E-1' })).toEqual({ employee_number: REDACTED });
    expect(redactString('badge E-1234')).toBe(`badge ${REDACTED}`);
    expect(isSecretKey('employeeNumber')).toBe(true);
    configureRedaction();
    expect(redactString('badge E-1234')).toBe('badge E-1234');
  });

  it('keeps the working redactor when the new options are refused', () => {
    configureRedaction({ patterns: ['E-[0-9]{4}'] });
    expect(() => configureRedaction({ patterns: ['('] })).toThrow(RedactionConfigError);
    expect(redactString('badge E-1234')).toBe(`badge ${REDACTED}`);
  });
});

describe('usable in workflow code', () => {
  // The workflow redacts its status view and error messages with this code, inside Temporal's
  // deterministic sandbox: no Node modules, no clocks, no randomness.
  const dir = fileURLToPath(new URL('../../src/redaction/', import.meta.url));
  const files = [fileURLToPath(new URL('../../src/redact.ts', import.meta.url)), ...readdirSync(dir).filter((file) => file.endsWith('.ts') && file !== 'schema.ts').map((file) => dir + file)];

  it.each(files)('%s imports only pure modules and uses no clock or randomness', (file) => {
    const source = readFileSync(file, 'utf8');
    const imports = [...source.matchAll(/from '([^']+)'/g)].map((match) => match[1]);
    for (const specifier of imports) expect(specifier, file).toMatch(/^\.{1,2}\/(redaction\/)?[a-zA-Z]+\.js$|^\.\.\/errors\.js$/);
    expect(source).not.toMatch(/Date\.now|new Date\(\)|Math\.random|process\.|require\(/);
  });
});
