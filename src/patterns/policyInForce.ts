/**
 * The policy sets in force on a worker, and which one decides each operation: the enforced set,
 * or, during a gradual rollout (seed: GradualGovernanceRollout), the strict set for a stable
 * `percentage` of operation ids and the permissive set for the rest; plus an optional shadow set
 * that is evaluated beside them and never enforced. Sets are replaced in place on hot reload, so
 * new evaluations see a new version while running workflows keep the decision they made.
 */
import { readsBudgetContext } from '../budget/context.js';
import { PolicyEngine } from '../policy/engine.js';
import type { PolicyDecision, PolicyRequest } from '../policy/types.js';
import { inRollout } from './rollout.js';

export type PolicyRole = 'enforced' | 'strict' | 'permissive' | 'shadow';

/** Which set decided an operation: recorded in its audit entry and its status view. */
export interface PolicyChoice {
  role: Exclude<PolicyRole, 'shadow'>;
  engine: PolicyEngine;
}

/** Where each set comes from: a file path (presets resolved to theirs). */
export type PolicyFiles = { enforced: string; shadow?: string } | { strict: string; permissive: string; shadow?: string };

export interface ShadowDivergence {
  enforced: { effect: string; rule: string | null; policySet: string; policyVersion: string };
  shadow: { effect: string; rule: string | null; policySet: string; policyVersion: string };
}

export class PolicyInForce {
  private readonly engines = new Map<PolicyRole, PolicyEngine>();

  /** `percentage` is read at each choice, so a change made elsewhere (SQL) applies to the next operation. */
  constructor(
    readonly files: PolicyFiles,
    load: (file: string) => PolicyEngine,
    private readonly percentage: () => number = () => 0,
  ) {
    for (const [role, file] of Object.entries(files) as Array<[PolicyRole, string | undefined]>) {
      if (file) this.engines.set(role, load(file));
    }
  }

  get rollout(): boolean {
    return this.engines.has('strict');
  }

  rolloutPercentage(): number | undefined {
    return this.rollout ? this.percentage() : undefined;
  }

  /** The set that decides operation `id`; the hash of the id is stable, so a retry gets the same set. */
  choose(operationId: string): PolicyChoice {
    if (!this.rollout) return { role: 'enforced', engine: this.get('enforced') };
    const role = inRollout(operationId, this.percentage()) ? 'strict' : 'permissive';
    return { role, engine: this.get(role) };
  }

  get(role: PolicyRole): PolicyEngine {
    const engine = this.engines.get(role) ?? (role === 'enforced' ? this.engines.get('strict') : undefined);
    if (!engine) throw new Error(`no ${role} policy set is configured`);
    return engine;
  }

  /** The engine for a role an operation recorded (authority is checked against the set that decided it). */
  forRole(role: string | undefined): PolicyEngine {
    return role === 'strict' || role === 'permissive' || role === 'enforced' ? this.get(role) : this.get('enforced');
  }

  /** What a shadow set would have decided, when it differs from what was enforced. */
  shadowDivergence(request: PolicyRequest, enforced: PolicyDecision): ShadowDivergence | null {
    const shadow = this.engines.get('shadow')?.evaluate(request);
    if (!shadow || (shadow.effect === enforced.effect && shadow.rule === enforced.rule)) return null;
    const summary = (d: PolicyDecision) => ({ effect: d.effect, rule: d.rule, policySet: d.policySet, policyVersion: d.policyVersion });
    return { enforced: summary(enforced), shadow: summary(shadow) };
  }

  /** Hot reload: a new engine for a role; evaluations from now on use it. */
  replace(role: PolicyRole, engine: PolicyEngine): void {
    if (!this.engines.has(role)) throw new Error(`no ${role} policy set is configured`);
    this.engines.set(role, engine);
  }

  /** Each configured set with its file, name and version: what /healthz and the logs report. */
  describe(): Array<{ role: PolicyRole; file: string; name: string; version: string }> {
    return [...this.engines].map(([role, engine]) => ({
      role, file: (this.files as Record<string, string>)[role], name: engine.policySet.name, version: engine.version,
    }));
  }

  /** Whether any set in force reads a budget key (then evaluations query the ledger). */
  readsBudgetContext(): boolean {
    return [...this.engines.values()].some((engine) => readsBudgetContext(engine.compiled.contextKeys));
  }
}
