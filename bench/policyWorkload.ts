/**
 * A deterministic, realistic policy workload for comparing Tollgate with Cedar and casbin.
 *
 * The sets only use what all three engines can express the same way (bench/README.md):
 * `allow`/`deny`, every deny rule ranked before every allow rule (so Tollgate's first match
 * equals deny-overrides), default deny, literal or trailing-`*` globs, `role:NAME` or literal
 * identifiers as subjects, and constraints on top-level context keys (boolean equals, integer gt).
 */
import type { PolicyRequest } from '../src/index.js';

export const ACTIONS = ['data:read', 'data:write', 'data:export', 'data:delete', 'agent:tool_execute', 'agent:model_invoke'] as const;
const DATA_ACTIONS = ACTIONS.slice(0, 4);
const GLOBAL_ROLES = ['analyst', 'engineer', 'admin', 'auditor', 'contractor', 'data-scientist', 'support', 'sre', 'finance', 'ml-engineer', 'intern', 'viewer'];
const TABLES = ['sales', 'users', 'events', 'invoices', 'orders', 'payments', 'metrics', 'logs', 'pii', 'audit'];
const EXPORT_CAPS = [1_000, 10_000, 50_000];
export const DEFAULT_SEED = 20_240_601;

/** Plain (JSON-shaped) rule, as a user would write it in YAML. */
export interface WorkloadRule {
  name: string;
  effect: 'allow' | 'deny';
  priority: number;
  actions?: string[];
  resources?: string[];
  subjects?: string[];
  constraints?: Array<{ key: string; equals?: boolean; gt?: number }>;
}

export interface Workload {
  seed: number;
  /** Input for parsePolicySet. */
  policy: { name: string; defaultEffect: 'deny'; rules: WorkloadRule[] };
  /** Identifier -> roles: the directory casbin's `g` lines and the requests' `subject.roles` come from. */
  directory: ReadonlyMap<string, readonly string[]>;
  /** The closed action vocabulary (Cedar needs it to expand action globs into action groups). */
  actions: readonly string[];
  requests: PolicyRequest[];
}

export interface WorkloadOptions {
  rules: number;
  requests?: number;
  seed?: number;
}

/** mulberry32: tiny, fast and good enough to make a workload reproducible from one number. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Picker {
  constructor(readonly random: () => number) {}
  int(n: number): number {
    return Math.floor(this.random() * n);
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  one<T>(list: readonly T[]): T {
    return list[this.int(list.length)];
  }
  some<T>(list: readonly T[], count: number): T[] {
    const pool = [...list];
    const out: T[] = [];
    while (out.length < count && pool.length) out.push(pool.splice(this.int(pool.length), 1)[0]);
    return out;
  }
}

interface Universe {
  teams: number;
  tools: number;
  models: number;
  users: string[];
  directory: Map<string, string[]>;
  usersByRole: Map<string, string[]>;
}

/** Teams, tools, models and users grow with the rule count, as they would in a real organisation. */
function buildUniverse(rules: number, pick: Picker): Universe {
  const teams = Math.max(3, Math.ceil(rules / 12));
  const tools = Math.max(4, Math.ceil(rules / 10));
  const models = Math.max(2, Math.ceil(rules / 40));
  const userCount = Math.max(60, teams * 3);
  const directory = new Map<string, string[]>();
  const usersByRole = new Map<string, string[]>();
  const users: string[] = [];
  for (let k = 0; k < userCount; k++) {
    const id = `user${k}`;
    const team = k % teams;
    const roles = [GLOBAL_ROLES[k % GLOBAL_ROLES.length], `team${team}-member`];
    if (pick.chance(0.2)) roles.push(`team${team}-lead`);
    users.push(id);
    directory.set(id, roles);
    for (const role of roles) {
      const members = usersByRole.get(role);
      if (members) members.push(id);
      else usersByRole.set(role, [id]);
    }
  }
  return { teams, tools, models, users, directory, usersByRole };
}

type RuleBody = Omit<WorkloadRule, 'name' | 'priority'>;
type RuleKind = { kind: string; weight: number; make: (pick: Picker, u: Universe) => RuleBody };

const team = (pick: Picker, u: Universe) => pick.int(u.teams);
const mfa = (equals: boolean) => ({ key: 'mfa_verified', equals });

/** Rules every organisation has, whatever its size. */
const ORG_WIDE: Array<WorkloadRule> = [
  { name: 'org-deny-flagged-data', effect: 'deny', priority: 0, actions: ['data:*'], constraints: [{ key: 'flagged', equals: true }] },
  { name: 'org-deny-intern-delete', effect: 'deny', priority: 0, actions: ['data:delete'], resources: ['dataset://*'], subjects: ['role:intern'] },
  { name: 'org-deny-huge-export', effect: 'deny', priority: 0, actions: ['data:export'], resources: ['*'], constraints: [{ key: 'rows', gt: 1_000_000 }] },
  { name: 'org-allow-auditor-read', effect: 'allow', priority: 0, actions: ['data:read'], resources: ['dataset://*'], subjects: ['role:auditor'] },
  { name: 'org-allow-sre-tools', effect: 'allow', priority: 0, actions: ['agent:*'], resources: ['tool://*'], subjects: ['role:sre'] },
  { name: 'org-allow-ml-models', effect: 'allow', priority: 0, actions: ['agent:model_invoke'], resources: ['model://*'], subjects: ['role:ml-engineer'], constraints: [mfa(true)] },
];

const DENY_KINDS: RuleKind[] = [
  {
    kind: 'deny-export-cap', weight: 3, make: (pick, u) => ({
      effect: 'deny', actions: ['data:export'], resources: [`dataset://team${team(pick, u)}/*`],
      constraints: [{ key: 'rows', gt: pick.one(EXPORT_CAPS) }],
    }),
  },
  {
    kind: 'deny-pii', weight: 3, make: (pick, u) => ({
      effect: 'deny', actions: ['data:read', 'data:export'], resources: [`dataset://team${team(pick, u)}/pii`],
      ...(pick.chance(0.5) ? { subjects: ['role:contractor', 'role:intern'] } : { constraints: [mfa(false)] }),
    }),
  },
  {
    kind: 'deny-revoked', weight: 3, make: (pick, u) => ({
      effect: 'deny', resources: [`tool://name${pick.int(u.tools)}`], subjects: [pick.one(u.users)],
    }),
  },
  {
    kind: 'deny-flagged-model', weight: 1, make: (pick, u) => ({
      effect: 'deny', actions: ['agent:model_invoke'], resources: [`model://m${pick.int(u.models)}`], constraints: [{ key: 'flagged', equals: true }],
    }),
  },
  {
    kind: 'deny-member-delete', weight: 2, make: (pick, u) => {
      const t = team(pick, u);
      return { effect: 'deny', actions: ['data:delete'], resources: [`dataset://team${t}/*`], subjects: [`role:team${t}-member`] };
    },
  },
];

const ALLOW_KINDS: RuleKind[] = [
  {
    kind: 'allow-team-data', weight: 6, make: (pick, u) => {
      const t = team(pick, u);
      return {
        effect: 'allow', actions: pick.chance(0.3) ? ['data:read', 'data:write'] : ['data:read'],
        resources: [`dataset://team${t}/*`], subjects: pick.chance(0.3) ? [`role:team${t}-member`, `role:team${t}-lead`] : [`role:team${t}-member`],
      };
    },
  },
  {
    kind: 'allow-table', weight: 5, make: (pick, u) => {
      const t = team(pick, u);
      const actions = pick.some(DATA_ACTIONS.slice(0, 3), 1 + pick.int(2));
      return {
        effect: 'allow', actions, resources: [`dataset://team${t}/${pick.one(TABLES)}`],
        subjects: [pick.chance(0.5) ? pick.one(u.users) : `role:${pick.one(GLOBAL_ROLES)}`],
        ...(actions.includes('data:write') || pick.chance(0.2) ? { constraints: [mfa(true)] } : {}),
      };
    },
  },
  {
    kind: 'allow-lead-manage', weight: 2, make: (pick, u) => {
      const t = team(pick, u);
      return {
        effect: 'allow', actions: ['data:*'], resources: [`dataset://team${t}/*`], subjects: [`role:team${t}-lead`],
        constraints: [mfa(true)],
      };
    },
  },
  {
    kind: 'allow-tool', weight: 5, make: (pick, u) => ({
      effect: 'allow', actions: ['agent:tool_execute'],
      resources: Array.from(new Set(Array.from({ length: 1 + pick.int(3) }, () => `tool://name${pick.int(u.tools)}`))),
      subjects: [pick.chance(0.6) ? `role:${pick.one(GLOBAL_ROLES)}` : `role:team${team(pick, u)}-member`],
    }),
  },
  {
    kind: 'allow-model', weight: 2, make: (pick, u) => ({
      effect: 'allow', actions: ['agent:model_invoke'], resources: [`model://m${pick.int(u.models)}`],
      subjects: [`role:${pick.one(GLOBAL_ROLES)}`],
      ...(pick.chance(0.5) ? { constraints: [{ key: 'tokens', gt: 100 }] } : {}),
    }),
  },
];

function weighted(pick: Picker, kinds: readonly RuleKind[]): RuleKind {
  const total = kinds.reduce((sum, k) => sum + k.weight, 0);
  let roll = pick.random() * total;
  for (const kind of kinds) if ((roll -= kind.weight) < 0) return kind;
  return kinds[kinds.length - 1];
}

/**
 * Deny rules get priorities 10..., allow rules 100000...: every deny is tried before every allow,
 * which is what makes first match agree with Cedar's and casbin's deny-overrides.
 */
function buildRules(count: number, pick: Picker, u: Universe): WorkloadRule[] {
  const orgWide = ORG_WIDE.slice(0, Math.min(ORG_WIDE.length, count));
  const bodies: Array<{ kind: string; body: RuleBody }> = orgWide.map((r) => ({ kind: r.name, body: r }));
  while (bodies.length < count) {
    const kind = weighted(pick, pick.chance(0.3) ? DENY_KINDS : ALLOW_KINDS);
    bodies.push({ kind: kind.kind, body: kind.make(pick, u) });
  }
  let denies = 0;
  let allows = 0;
  return bodies.map(({ kind, body }, i) => {
    const priority = body.effect === 'deny' ? 10 + denies++ : 100_000 + allows++;
    const { name: _ignored, priority: _p, ...rest } = body as WorkloadRule;
    return { name: i < orgWide.length ? kind : `${kind}-${i}`, priority, ...rest };
  });
}

function randomResource(pick: Picker, u: Universe): string {
  const roll = pick.random();
  // A tenth of the resources lie outside what any rule names, so some requests fall to the default.
  if (roll < 0.55) return `dataset://team${pick.int(Math.ceil(u.teams * 1.1))}/${pick.one(TABLES)}`;
  if (roll < 0.85) return `tool://name${pick.int(Math.ceil(u.tools * 1.1))}`;
  return `model://m${pick.int(Math.ceil(u.models * 1.1))}`;
}

function randomContext(pick: Picker): Record<string, unknown> {
  const context: Record<string, unknown> = {};
  if (pick.chance(0.8)) context.mfa_verified = pick.chance(0.6);
  if (pick.chance(0.8)) context.rows = pick.chance(0.02) ? 2_000_000 + pick.int(1_000_000) : pick.int(100_000);
  if (pick.chance(0.8)) context.tokens = pick.int(400);
  if (pick.chance(0.9)) context.flagged = pick.chance(0.05);
  return context;
}

/** A concrete action a pattern from the workload matches (only literals and `prefix*` occur). */
function actionMatching(pattern: string, pick: Picker): string {
  if (!pattern.includes('*')) return pattern;
  const prefix = pattern.slice(0, pattern.indexOf('*'));
  return pick.one((ACTIONS as readonly string[]).filter((action) => action.startsWith(prefix)));
}

/** A concrete resource a pattern from the workload matches. */
function resourceMatching(pattern: string, pick: Picker, u: Universe): string {
  if (!pattern.includes('*')) return pattern;
  const prefix = pattern.slice(0, pattern.indexOf('*'));
  if (prefix === 'dataset://') return `dataset://team${pick.int(u.teams)}/${pick.one(TABLES)}`;
  if (prefix === 'tool://') return `tool://name${pick.int(u.tools)}`;
  if (prefix === 'model://') return `model://m${pick.int(u.models)}`;
  if (prefix.startsWith('dataset://team')) return `${prefix}${pick.one(TABLES)}`;
  return randomResource(pick, u);
}

/** A request aimed at one rule: it matches the rule's patterns and, most of the time, its constraints. */
function requestFor(rule: WorkloadRule, pick: Picker, u: Universe): PolicyRequest {
  const action = rule.actions ? actionMatching(pick.one(rule.actions), pick) : pick.one(ACTIONS);
  const resource = rule.resources ? resourceMatching(pick.one(rule.resources), pick, u) : randomResource(pick, u);
  let identifier = pick.one(u.users);
  if (rule.subjects) {
    const subject = pick.one(rule.subjects);
    if (subject.startsWith('role:')) identifier = pick.one(u.usersByRole.get(subject.slice(5)) ?? u.users);
    else identifier = subject;
  }
  const context = randomContext(pick);
  if (rule.constraints && pick.chance(0.7)) {
    for (const c of rule.constraints) context[c.key] = c.equals !== undefined ? c.equals : (c.gt ?? 0) + 1 + pick.int(5_000);
  }
  return { subject: { identifier, roles: [...u.directory.get(identifier)!] }, action, resource, context };
}

function randomRequest(pick: Picker, u: Universe): PolicyRequest {
  const identifier = pick.one(u.users);
  return { subject: { identifier, roles: [...u.directory.get(identifier)!] }, action: pick.one(ACTIONS), resource: randomResource(pick, u), context: randomContext(pick) };
}

/** Same options and seed, same workload: rules, directory and requests. */
export function generateWorkload(options: WorkloadOptions): Workload {
  const seed = options.seed ?? DEFAULT_SEED;
  const requestCount = options.requests ?? 10_000;
  const pick = new Picker(seededRandom(seed ^ options.rules));
  const universe = buildUniverse(options.rules, pick);
  const rules = buildRules(options.rules, pick, universe);
  const requests: PolicyRequest[] = [];
  const seen = new Set<string>();
  // Bounded so a tiny universe cannot loop forever looking for distinct requests.
  for (let attempts = 0; requests.length < requestCount && attempts < requestCount * 20; attempts++) {
    const request = pick.chance(0.6) ? requestFor(pick.one(rules), pick, universe) : randomRequest(pick, universe);
    const key = JSON.stringify(request);
    if (seen.has(key)) continue;
    seen.add(key);
    requests.push(request);
  }
  return {
    seed,
    policy: { name: `bench-${options.rules}`, defaultEffect: 'deny', rules },
    directory: universe.directory,
    actions: ACTIONS,
    requests,
  };
}
