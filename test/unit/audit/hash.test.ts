import { describe, expect, it } from 'vitest';
import { canonicalJson, entryHash, type UnsealedAuditEntry } from '../../../src/audit/index.js';
import { buildChain } from './chainFixtures.js';

describe('canonicalJson', () => {
  it('sorts keys at every level and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('gives the same text for the same value built in another order', () => {
    expect(canonicalJson({ x: 'é', y: [1.5, true] })).toBe(canonicalJson({ y: [1.5, true], x: 'é' }));
  });

  it('refuses values with no JSON form', () => {
    expect(() => canonicalJson({ a: () => 1 })).toThrow(/not a JSON value/);
    expect(() => canonicalJson(undefined)).toThrow(/not a JSON value/);
  });

  it('leaves out undefined entries, as JSON does', () => {
    expect(canonicalJson({ b: 1, a: undefined, c: [undefined] })).toBe('{"b":1,"c":[null]}');
  });
});

describe('entryHash', () => {
  const [entry] = buildChain(1);
  const { hash, ...unsealed } = entry;

  it('is the stored hash of a sealed entry, a 64-digit hex sha256', () => {
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(entryHash(unsealed)).toBe(hash);
  });

  it('is sha256 over canonicalJson of every field but the hash, whatever the values', async () => {
    const { createHash } = await import('node:crypto');
    const reference = (e: UnsealedAuditEntry) => createHash('sha256').update(canonicalJson({
      seq: e.seq, key: e.key, at: e.at, type: e.type, operationId: e.operationId, actor: e.actor, action: e.action, resource: e.resource,
      outcome: e.outcome, rule: e.rule, data: e.data, prevHash: e.prevHash,
    })).digest('hex');
    const awkward: UnsealedAuditEntry = {
      ...unsealed, key: 'k"\\\u2028', actor: null, action: 'a\nb', resource: 'Zürich ☃ 𝄞', outcome: null, rule: null, operationId: null,
      data: { z: [1, { b: null, a: [true, 'x'] }], a: 1e21, '': -0.5, 'ü': { y: {}, x: [] } },
    };
    for (const e of [...buildChain(30).map(({ hash: _hash, ...rest }) => rest), awkward]) expect(entryHash(e)).toBe(reference(e));
  });

  it('does not depend on the order of keys inside data', () => {
    const reordered: UnsealedAuditEntry = { ...unsealed, data: Object.fromEntries(Object.entries(unsealed.data).reverse()) };
    expect(entryHash(reordered)).toBe(hash);
  });

  const changes: [string, Partial<UnsealedAuditEntry>][] = [
    ['seq', { seq: 2 }], ['key', { key: 'other' }], ['at', { at: '2025-03-01T09:00:01.001Z' }], ['type', { type: 'operation_failed' }],
    ['operationId', { operationId: null }], ['actor', { actor: 'mallory' }], ['action', { action: 'data:write' }],
    ['resource', { resource: 'dataset://x' }], ['outcome', { outcome: 'failed' }], ['rule', { rule: 'r' }],
    ['data', { data: { ...unsealed.data, n: 2 } }], ['prevHash', { prevHash: 'f'.repeat(64) }],
  ];
  for (const [field, change] of changes) {
    it(`changes when ${field} changes`, () => {
      expect(entryHash({ ...unsealed, ...change })).not.toBe(hash);
    });
  }
});
