/**
 * Issue 10: every field a caller sends is bounded, with one message that names the field, the
 * limit and the fix. PolicyRequestSchema (CLI, HTTP, cases) and OperationInputSchema (client and
 * workflow) share the limits in src/policy/limits.ts.
 */
import { describe, expect, it } from 'vitest';
import { PolicyRequestSchema, REQUEST_LIMITS } from '../../../src/index.js';
import { OperationInputSchema } from '../../../src/operation/schema.js';

const base = { subject: { identifier: 'alice' }, action: 'data:read', resource: 'dataset://acme/sales' };

function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < levels; i++) value = { next: value };
  return value;
}

/** The first issue as `path: message`, or null when the input is accepted. */
function problem(schema: typeof PolicyRequestSchema | typeof OperationInputSchema, input: unknown): string | null {
  const result = schema.safeParse(input);
  if (result.success) return null;
  const issue = result.error.issues[0];
  return `${issue.path.join('.')}: ${issue.message}`;
}

const cases: Array<[string, Record<string, unknown>, Record<string, unknown>, RegExp]> = [
  ['action', { action: 'a'.repeat(REQUEST_LIMITS.actionLength) }, { action: 'a'.repeat(REQUEST_LIMITS.actionLength + 1) }, /^action: is 257 characters, more than the 256 allowed; use a short action name/],
  ['resource', { resource: `dataset://${'r'.repeat(REQUEST_LIMITS.resourceLength - 10)}` }, { resource: `dataset://${'r'.repeat(REQUEST_LIMITS.resourceLength)}` }, /^resource: is 4106 characters, more than the 4096 allowed; name the resource/],
  ['subject.identifier', { subject: { identifier: 'i'.repeat(256) } }, { subject: { identifier: 'i'.repeat(257) } }, /^subject\.identifier: is 257 characters, more than the 256 allowed/],
  ['subject.roles', { subject: { identifier: 'a', roles: Array.from({ length: 256 }, (_, i) => `r${i}`) } }, { subject: { identifier: 'a', roles: Array.from({ length: 257 }, (_, i) => `r${i}`) } }, /^subject\.roles: has more than 256 roles/],
  ['subject.roles[i]', { subject: { identifier: 'a', roles: ['r'.repeat(256)] } }, { subject: { identifier: 'a', roles: ['ok', 'r'.repeat(257)] } }, /^subject\.roles\.1: is 257 characters, more than the 256 allowed; use a short role name/],
  ['subject.attributes', { subject: { identifier: 'a', attributes: { blob: 'x'.repeat(60_000) } } }, { subject: { identifier: 'a', attributes: { blob: 'x'.repeat(70_000) } } }, /^subject\.attributes: is 70011 bytes as JSON, more than the 64 KiB allowed/],
  ['subject.tags', { subject: { identifier: 'a', tags: { t: 'x'.repeat(60_000) } } }, { subject: { identifier: 'a', tags: { t: 'x'.repeat(70_000) } } }, /^subject\.tags: is 70008 bytes as JSON, more than the 64 KiB allowed/],
  ['context size', { context: { blob: 'x'.repeat(65_000) } }, { context: { blob: 'é'.repeat(33_000) } }, /^context: is 66011 bytes as JSON, more than the 64 KiB allowed; send a reference/],
  ['context size, astral', { context: { blob: '😀'.repeat(16_000) } }, { context: { blob: '😀'.repeat(16_500) } }, /^context: is 66011 bytes as JSON/],
  ['context depth', { context: nested(REQUEST_LIMITS.depth) }, { context: nested(REQUEST_LIMITS.depth + 1) }, /^context: nests deeper than 16 levels of objects and arrays; flatten it/],
];

describe.each([
  ['PolicyRequestSchema', PolicyRequestSchema],
  ['OperationInputSchema', OperationInputSchema],
] as const)('%s bounds what a caller sends', (_name, schema) => {
  it.each(cases)('%s: accepted at the limit, refused past it with the field, the limit and the fix', (_field, atLimit, pastLimit, message) => {
    expect(problem(schema, { ...base, ...atLimit })).toBeNull();
    expect(problem(schema, { ...base, ...pastLimit })).toMatch(message);
  });

  it('refuses a context nested 100,000 levels deep without overflowing the stack', () => {
    expect(problem(schema, { ...base, context: nested(100_000) })).toMatch(/^context: nests deeper than 16 levels/);
  });
});

describe('OperationInputSchema bounds operation arguments', () => {
  const withArgs = (args: unknown) => ({ ...base, operation: { name: 'export', args } });

  it('accepts 256 KiB of arguments and refuses more, naming operation.args', () => {
    expect(problem(OperationInputSchema, withArgs({ rows: 'x'.repeat(256 * 1024 - 20) }))).toBeNull();
    expect(problem(OperationInputSchema, withArgs({ rows: 'x'.repeat(256 * 1024) }))).toMatch(/^operation\.args: is 262155 bytes as JSON, more than the 256 KiB allowed/);
  });

  it('bounds the nesting of arguments, arrays included', () => {
    let deep: unknown = 1;
    for (let i = 0; i < REQUEST_LIMITS.depth; i++) deep = [deep];
    expect(problem(OperationInputSchema, withArgs(deep))).toBeNull();
    expect(problem(OperationInputSchema, withArgs([deep]))).toMatch(/^operation\.args: nests deeper than 16 levels/);
  });

  it('refuses a cyclic argument object as too deep instead of looping', () => {
    const cyclic: Record<string, unknown> = { name: 'x' };
    cyclic.self = cyclic;
    expect(problem(OperationInputSchema, withArgs(cyclic))).toMatch(/^operation\.args: nests deeper than 16 levels/);
  });
});
