import { describe, expect, it } from 'vitest';
import { REDACTED, redact, redactString } from '../../../src/redact.js';

describe('redact', () => {
  it('redacts values under secret-named keys at any depth, in objects and arrays', () => {
    const input = {
      user: 'alice',
      apiKey: 'k-123',
      nested: { db_password: 'hunter2', headers: { Authorization: 'Basic abc', Cookie: 'sid=1' } },
      list: [{ client_secret: 's' }, { private_key: '-----BEGIN' }, { 'api-key': 'x' }],
      awsCredentials: { id: 'a', secret: 'b' },
    };
    expect(redact(input)).toEqual({
      user: 'alice',
      apiKey: REDACTED,
      nested: { db_password: REDACTED, headers: { Authorization: REDACTED, Cookie: REDACTED } },
      list: [{ client_secret: REDACTED }, { private_key: REDACTED }, { 'api-key': REDACTED }],
      awsCredentials: REDACTED,
    });
  });

  it('redacts token-shaped values wherever they appear, keeping the surrounding text', () => {
    const bot = 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx';
    expect(redact({ note: `use ${bot} for the bot` })).toEqual({ note: `use ${REDACTED} for the bot` });
    expect(redactString('xoxp-1-2-3 and xoxa-9 and xoxr-7')).toBe(`${REDACTED} and ${REDACTED} and ${REDACTED}`);
    expect(redactString('curl -H "Authorization: Bearer eyJhbGciOi.J9.abc-_"')).toBe(`curl -H "Authorization: Bearer ${REDACTED}"`);
    expect(redact(['AKIAIOSFODNN7EXAMPLE'])).toEqual([REDACTED]);
    expect(redactString('key AKIAIOSFODNN7EXAMPL is too short')).toBe('key AKIAIOSFODNN7EXAMPL is too short');
  });

  it('keeps token counts, which approvers need, but not numeric secrets', () => {
    expect(redact({ max_tokens: 4096, prompt_tokens: 12, password: 1234, token: 'abc' }))
      .toEqual({ max_tokens: 4096, prompt_tokens: 12, password: REDACTED, token: REDACTED });
  });

  it('never mutates its input', () => {
    const input = { token: 'xoxb-1-2', deep: { list: ['Bearer abc'] } };
    const snapshot = structuredClone(input);
    const out = redact(input);
    expect(input).toEqual(snapshot);
    expect(out).not.toBe(input);
    expect(out.deep).not.toBe(input.deep);
  });

  it('survives cycles and keeps shared references', () => {
    const shared = { a: 1 };
    const cyclic: Record<string, unknown> = { shared, again: shared };
    cyclic.self = cyclic;
    expect(redact(cyclic)).toEqual({ shared: { a: 1 }, again: { a: 1 }, self: '[Circular]' });
  });

  it('passes through primitives and leaves non-secret data alone', () => {
    expect(redact(42)).toBe(42);
    expect(redact(null)).toBe(null);
    expect(redact('plain text')).toBe('plain text');
    expect(redact({ rows: 10, region: 'eu' })).toEqual({ rows: 10, region: 'eu' });
  });
});
