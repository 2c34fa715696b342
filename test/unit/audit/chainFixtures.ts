import { GENESIS_HASH, prepareAuditEntry, sealAuditEntry, type AuditEntry, type AuditEntryInput } from '../../../src/audit/index.js';

const base = Date.parse('2025-03-01T09:00:00Z');

export function sampleInput(i: number): AuditEntryInput {
  return {
    key: `op-${i}:operation_started`,
    type: 'operation_started',
    at: new Date(base + i * 1_000),
    operationId: `op-${i}`,
    actor: `user-${i % 3}`,
    action: 'data:read',
    resource: `dataset://sales/${i}`,
    outcome: 'executing',
    data: { n: i, nested: { list: [i, 'x'], flag: i % 2 === 0 } },
  };
}

/** A valid chain of `count` entries built without a database, as `append` builds it. */
export function buildChain(count: number, inputs: (i: number) => AuditEntryInput = sampleInput): AuditEntry[] {
  const chain: AuditEntry[] = [];
  let prevHash = GENESIS_HASH;
  for (let i = 1; i <= count; i++) {
    const entry = sealAuditEntry(prepareAuditEntry(inputs(i)), i, prevHash);
    chain.push(entry);
    prevHash = entry.hash;
  }
  return chain;
}
