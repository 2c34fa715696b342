import type { PolicyRequest } from '../../src/index.js';

/**
 * One engine under comparison, bound to a fixed list of requests that it has already translated
 * into its own input shape (translation is not part of what is timed, for any engine).
 */
export interface DecisionEngine {
  readonly name: string;
  /** Wall time to build the engine from the policy set (compile, preparse, load policies). */
  readonly setupMs: number;
  /** How many units the set became in this engine (rules, Cedar policies, casbin `p` lines). */
  readonly policyUnits: number;
  readonly requestCount: number;
  /** The decision on request i, with the rules/policies behind it when the engine reports them. */
  decide(i: number): Verdict;
  /**
   * Decide `count` requests starting at index `from`, wrapping around the list; returns how many
   * were allowed so the work cannot be optimised away. Each engine has its own loop so the call
   * inside stays monomorphic.
   */
  runBatch(from: number, count: number): number;
}

export interface Verdict {
  allowed: boolean;
  /** Rules (Tollgate) or policies (Cedar) that decided; empty when the default decided; absent if unknown. */
  rules?: readonly string[];
}

export type RequestList = readonly PolicyRequest[];
