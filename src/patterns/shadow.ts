/**
 * What a shadow set would have changed: its divergences from the enforced set, read back from
 * the audit trail and summarised by rule pair, so a candidate is judged on real traffic.
 */
import type { AuditEntry } from '../audit/types.js';

export interface DivergenceSide {
  effect: string;
  rule: string | null;
}

export interface DivergenceGroup {
  enforced: DivergenceSide;
  shadow: DivergenceSide;
  count: number;
  /** A few of the operations, newest last. */
  examples: Array<{ operationId: string | null; at: string; actor: string | null; action: string | null; resource: string | null }>;
}

const side = (value: unknown): DivergenceSide => {
  const record = (value ?? {}) as { effect?: unknown; rule?: unknown };
  return { effect: String(record.effect ?? '?'), rule: typeof record.rule === 'string' ? record.rule : null };
};

/** policy_shadow_divergence entries grouped by (enforced rule → shadow rule), largest group first. */
export function summariseDivergences(entries: Iterable<AuditEntry>, examplesPerGroup = 3): DivergenceGroup[] {
  const groups = new Map<string, DivergenceGroup>();
  for (const entry of entries) {
    if (entry.type !== 'policy_shadow_divergence') continue;
    const enforced = side(entry.data.enforced);
    const shadow = side(entry.data.shadow);
    const key = JSON.stringify([enforced, shadow]);
    const group = groups.get(key) ?? { enforced, shadow, count: 0, examples: [] };
    group.count++;
    group.examples.push({ operationId: entry.operationId, at: entry.at, actor: entry.actor, action: entry.action, resource: entry.resource });
    if (group.examples.length > examplesPerGroup) group.examples.shift();
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}

export const describeSide = (s: DivergenceSide): string => `${s.effect} by ${s.rule ?? 'default effect'}`;
