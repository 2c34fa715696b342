import type { DecisionEngine, Verdict } from './engine.js';

export interface PeerAgreement {
  engine: string;
  checked: number;
  agreed: number;
  /** First few request indexes where the peer's allow/deny differs from the reference's. */
  disagreements: number[];
  /**
   * When the peer says why (Cedar lists the policies that were satisfied): how many decisions had the
   * reference's deciding rule among the peer's reasons (or, for a default deny, no reason at all).
   */
  rulesChecked?: number;
  rulesAgreed?: number;
}

export interface AgreementReport {
  requests: number;
  /** How many requests were checked: all of them, or every `stride`-th one when a budget required it. */
  checked: number;
  stride: number;
  /** The reference's decisions over the checked requests. */
  decisions: { allow: number; denyByRule: number; denyByDefault: number };
  peers: PeerAgreement[];
}

/** Run the requests through the reference (Tollgate) and every peer and count allow/deny agreement. */
export function checkAgreement(reference: DecisionEngine, peers: readonly DecisionEngine[], stride = 1): AgreementReport {
  const n = reference.requestCount;
  const decisions = { allow: 0, denyByRule: 0, denyByDefault: 0 };
  const expected = new Map<number, Verdict>();
  for (let i = 0; i < n; i += stride) {
    const verdict = reference.decide(i);
    expected.set(i, verdict);
    if (verdict.allowed) decisions.allow++;
    else if (verdict.rules?.length) decisions.denyByRule++;
    else decisions.denyByDefault++;
  }
  const results = peers.map((peer): PeerAgreement => {
    if (peer.requestCount !== n) throw new Error(`${peer.name} holds ${peer.requestCount} requests, the reference ${n}`);
    const result: PeerAgreement = { engine: peer.name, checked: 0, agreed: 0, disagreements: [] };
    for (const [i, want] of expected) {
      const got = peer.decide(i);
      result.checked++;
      if (got.allowed === want.allowed) result.agreed++;
      else if (result.disagreements.length < 20) result.disagreements.push(i);
      if (got.rules && want.rules) {
        const rule = want.rules[0];
        result.rulesChecked = (result.rulesChecked ?? 0) + 1;
        if (rule === undefined ? got.rules.length === 0 : got.rules.includes(rule)) result.rulesAgreed = (result.rulesAgreed ?? 0) + 1;
      }
    }
    return result;
  });
  return { requests: n, checked: expected.size, stride, decisions, peers: results };
}

export const agreementPercent = (peer: PeerAgreement): number => (peer.checked ? (100 * peer.agreed) / peer.checked : 100);
