import { readFileSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { DURATION_HINT, isDuration } from './duration.js';
import { TollgateInputError } from './errors.js';
import { presetPath } from './patterns/presets.js';
import { DEFAULT_ENRICHERS, DEFAULT_ENVIRONMENT, ENRICHER_NAMES } from './patterns/enrichers.js';
import { DEFAULT_TENANT_SCHEMES } from './patterns/tenancy.js';
import type { PolicyFiles } from './patterns/policyInForce.js';
import { SubjectSchema } from './policy/request.js';
import { RedactionConfigSchema } from './redaction/schema.js';
import { AuditConfigSchema } from './audit/config.js';

const PRESET_PREFIX = 'preset:';

const duration = z.string().refine(isDuration, { message: `expected ${DURATION_HINT}` });

const ApproverSchema = z.object({
  identifier: z.string().min(1),
  slackUserId: z.string().min(1).optional(),
  roles: z.array(z.string()).default([]),
  attributes: z.record(z.string(), z.unknown()).default({}),
  tags: z.record(z.string(), z.string()).default({}),
}).strict();
export type Approver = z.infer<typeof ApproverSchema>;

const TemporalSchema = z.object({
  /** When omitted, `tollgate start` runs a local dev server on this address. */
  address: z.string().default('localhost:7233'),
  namespace: z.string().default('default'),
  taskQueue: z.string().default('tollgate'),
  /** Link target for operators, e.g. https://cloud.temporal.io/namespaces/NS. */
  uiUrl: z.string().default('http://localhost:8233'),
  tls: z.object({
    serverName: z.string().optional(),
    serverRootCACertPath: z.string().optional(),
    clientCertPath: z.string().optional(),
    clientKeyPath: z.string().optional(),
  }).strict().optional(),
  devServer: z.object({
    uiPort: z.number().int().positive().default(8233),
    dbFile: z.string().default('.tollgate/temporal.db'),
  }).strict().default({ uiPort: 8233, dbFile: '.tollgate/temporal.db' }),
}).strict();

const DatabaseSchema = z.object({
  url: z.string().optional(),
  /** Embedded PGlite data directory and the localhost port it is served on. */
  dataDir: z.string().default('.tollgate/pgdata'),
  embeddedPort: z.number().int().positive().default(5544),
}).strict();

const SlackSchema = z.object({
  approvalChannel: z.string().optional(),
  alertsChannel: z.string().optional(),
  apiUrl: z.string().url().optional(),
  /** Slack user group IDs whose members count as approvers with the given roles. */
  approverGroups: z.array(z.object({ usergroupId: z.string(), roles: z.array(z.string()).default([]) }).strict()).default([]),
}).strict();

const BudgetsSchema = z.object({
  period: z.enum(['day', 'week', 'month', 'quarter', 'year']).default('month'),
  org: z.number().nonnegative().optional(),
  teams: z.record(z.string(), z.number().nonnegative()).default({}),
  users: z.record(z.string(), z.number().nonnegative()).default({}),
  highCostThreshold: z.number().nonnegative().default(5),
  alertThresholds: z.array(z.number().gt(0).lte(1)).default([0.8, 0.9, 0.95]),
  /** Dotted paths into the request that name the user and the team a cost is charged to. */
  userKey: z.string().default('subject.identifier'),
  teamKey: z.string().default('subject.attributes.team_id'),
  /**
   * An operation that cost more than it reserved, where the difference does not fit a limit
   * (the money is spent either way). `record`: charge it all, mark the overrun, alert and
   * audit it. `refuse`: charge only the reservation and leave the excess unpaid, alerted and
   * audited, until `tollgate budget adjust` settles it; spend then never passes a limit.
   */
  overrun: z.enum(['record', 'refuse']).default('record'),
}).strict();

const SecuritySchema = z.object({
  /** Hosts a tool call's `url` argument may reach (`api.example.com`, `*.example.com`). */
  domainAllowlist: z.array(z.string()).default([]),
  /** Directories a tool call's `path` argument may touch; sets `path_whitelisted` when given. */
  pathAllowlist: z.array(z.string()).optional(),
}).strict();

const AuthSchema = z.object({
  /** OIDC bearer JWTs for the decision API, verified against the issuer's JWKS. */
  oidc: z.object({
    issuer: z.string().min(1),
    audience: z.string().min(1),
    jwksUrl: z.string().url(),
    identityClaim: z.string().min(1).default('sub'),
  }).strict().optional(),
}).strict();

const EnvironmentSchema = z.object({
  /** The first rule whose resource glob matches decides; the seed's naming by default. */
  fromResource: z.array(z.object({ match: z.string().min(1), value: z.string().min(1) }).strict()).default([...DEFAULT_ENVIRONMENT.fromResource]),
  /** When no rule matches: this deployment's environment (e.g. production on the production task queue). */
  default: z.string().min(1).default(DEFAULT_ENVIRONMENT.default),
}).strict();

const McpSchema = z.object({
  /** Agents that may call `tollgate mcp --listen` over HTTP: the SHA-256 (hex) of each bearer token, and who it is. */
  agents: z.array(z.object({
    tokenSha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits: the SHA-256 of the token (`printf %s TOKEN | sha256sum`)'),
    subject: SubjectSchema,
  }).strict()).default([]),
  /** Estimated cost per upstream tool name, reserved against budgets before the call. */
  costs: z.record(z.string(), z.number().nonnegative().finite()).default({}),
  /** Dotted path into a tool result's structuredContent that holds what the call actually cost. */
  resultCostField: z.string().min(1).optional(),
  /** How long one tools/call is held open while it waits for approval (below the client's request timeout). */
  holdTimeout: duration.default('50s'),
  /** How often a held call sends a progress notification (when the client sent a progressToken). */
  progressInterval: duration.default('10s'),
  /** Identical calls (same agent, server, tool and arguments) within this window are one operation. */
  dedupeWindow: duration.default('10m'),
}).strict();

export const ConfigSchema = z.object({
  /** A policy set file, or `preset:NAME` for a shipped preset (enterprise, tenant-isolation, ...). */
  policy: z.string().min(1).default('preset:enterprise'),
  /**
   * Gradual rollout: the strict set decides for `percentage`% of operations (by a stable hash of the
   * id), the permissive set for the rest; `policy` is then unused. `tollgate rollout set` changes the
   * percentage at run time (kept in SQL, picked up by running workers).
   */
  rollout: z.object({
    strict: z.string().min(1),
    permissive: z.string().min(1),
    percentage: z.number().min(0).max(100).default(0),
  }).strict().optional(),
  /** A candidate set evaluated beside the enforced one and never enforced; divergences are audited. */
  shadow: z.string().min(1).optional(),
  /** Keys and value patterns redacted in every sink, on top of the built-in ones (src/redact.ts). */
  redaction: RedactionConfigSchema.default({ keys: [], patterns: [] }),
  temporal: TemporalSchema.default(TemporalSchema.parse({})),
  database: DatabaseSchema.default(DatabaseSchema.parse({})),
  slack: SlackSchema.default(SlackSchema.parse({})),
  approvers: z.array(ApproverSchema).default([]),
  approvals: z.object({
    defaultTimeout: duration.default('24h'),
    /** How old a decision proof may be when the worker checks it. */
    proofWindow: duration.default('5m'),
  }).strict().default({ defaultTimeout: '24h', proofWindow: '5m' }),
  auth: AuthSchema.default(AuthSchema.parse({})),
  budgets: BudgetsSchema.default(BudgetsSchema.parse({})),
  security: SecuritySchema.default(SecuritySchema.parse({})),
  /** The context enrichers, in order (src/patterns/enrichers.ts). */
  enrichers: z.array(z.enum(ENRICHER_NAMES)).default([...DEFAULT_ENRICHERS]),
  /** Context keys only enrichers may set: a caller's value for one is dropped (a claim is not a fact). */
  trusted: z.array(z.string().min(1)).default(['environment']),
  tenancy: z.object({ schemes: z.array(z.string().min(1)).default([...DEFAULT_TENANT_SCHEMES]) }).strict().default({ schemes: [...DEFAULT_TENANT_SCHEMES] }),
  environment: EnvironmentSchema.default(EnvironmentSchema.parse({})),
  server: z.object({
    port: z.number().int().min(0).default(3000),
    /** The interface /healthz and the decision API listen on; 0.0.0.0 behind a load balancer. */
    host: z.string().min(1).default('127.0.0.1'),
    /** Where the CLI and clients reach the decision API; default http://127.0.0.1:<port>. */
    url: z.string().url().optional(),
  }).strict().default({ port: 3000, host: '127.0.0.1' }),
  mcp: McpSchema.default(McpSchema.parse({})),
  /** Signed checkpoints of the audit trail and where they are anchored outside the database. */
  audit: AuditConfigSchema.default(AuditConfigSchema.parse({})),
  /** A YAML file that extends or replaces the compliance requirements (src/patterns/compliance.ts). */
  compliance: z.string().min(1).optional(),
}).strict();

export type TollgateConfigFile = z.input<typeof ConfigSchema>;

/** Secrets never live in the file; they come from the environment. */
export interface TollgateSecrets {
  /** An approver token for the CLI's decisions (TOLLGATE_TOKEN). */
  approverToken?: string;
  slackBotToken?: string;
  slackSigningSecret?: string;
  slackAppToken?: string;
  temporalApiKey?: string;
}

export type TollgateConfig = z.output<typeof ConfigSchema> & {
  secrets: TollgateSecrets;
  /** Directory that relative paths in the file are resolved against. */
  baseDir: string;
  /** The file the config came from, or null for built-in defaults. */
  source: string | null;
};

export function readSecrets(env: NodeJS.ProcessEnv = process.env): TollgateSecrets {
  return {
    approverToken: env.TOLLGATE_TOKEN || undefined,
    slackBotToken: env.SLACK_BOT_TOKEN || undefined,
    slackSigningSecret: env.SLACK_SIGNING_SECRET || undefined,
    slackAppToken: env.SLACK_APP_TOKEN || undefined,
    temporalApiKey: env.TEMPORAL_API_KEY || undefined,
  };
}

/** Validate a plain object (for tests and embedding); `source` names it in errors. */
export function parseConfig(
  input: unknown,
  options: { source?: string | null; baseDir?: string; env?: NodeJS.ProcessEnv } = {},
): TollgateConfig {
  const env = options.env ?? process.env;
  const result = ConfigSchema.safeParse(input ?? {});
  const where = options.source ?? 'config';
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue.path.join('.') || '(root)';
    throw new TollgateInputError(`${where}: ${path}: ${issue.message}`, path);
  }
  const config = result.data;
  if (env.DATABASE_URL) config.database.url = env.DATABASE_URL;
  if (env.TEMPORAL_ADDRESS) config.temporal.address = env.TEMPORAL_ADDRESS;
  if (env.TEMPORAL_NAMESPACE) config.temporal.namespace = env.TEMPORAL_NAMESPACE;
  const baseDir = options.baseDir ?? process.cwd();
  const policyFile = (ref: string, field: string) => {
    try {
      return ref.startsWith(PRESET_PREFIX) ? presetPath(ref.slice(PRESET_PREFIX.length)) : resolve(baseDir, ref);
    } catch (error) {
      throw new TollgateInputError(`${where}: ${field}: ${(error as Error).message}`, field);
    }
  };
  return {
    ...config,
    policy: policyFile(config.policy, 'policy'),
    ...(config.rollout ? { rollout: { ...config.rollout, strict: policyFile(config.rollout.strict, 'rollout.strict'), permissive: policyFile(config.rollout.permissive, 'rollout.permissive') } } : {}),
    ...(config.shadow ? { shadow: policyFile(config.shadow, 'shadow') } : {}),
    ...(config.compliance ? { compliance: resolve(baseDir, config.compliance) } : {}),
    secrets: readSecrets(env),
    baseDir,
    source: options.source ?? null,
  };
}

/**
 * Load `tollgate.yaml`: the `--config` path, else `TOLLGATE_CONFIG`, else `./tollgate.yaml`
 * if present, else built-in defaults.
 */
export function loadConfig(path?: string, env: NodeJS.ProcessEnv = process.env): TollgateConfig {
  const explicit = path ?? env.TOLLGATE_CONFIG;
  const file = explicit ?? (existsSync('tollgate.yaml') ? 'tollgate.yaml' : undefined);
  if (!file) return parseConfig({}, { env, source: null });
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new TollgateInputError(`${file}: cannot read config file (check --config or TOLLGATE_CONFIG)`, 'config');
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new TollgateInputError(`${file}: invalid YAML: ${(error as Error).message.split('\n')[0]}`, 'config');
  }
  return parseConfig(raw, { source: file, baseDir: dirname(resolve(file)), env });
}

/** Where Tollgate keeps local state (keys, anchors, the embedded database) beside its config. */
export const stateDir = (config: Pick<TollgateConfig, 'baseDir'>): string => resolve(config.baseDir, '.tollgate');

/** The decision API the CLI and GovernanceClient.decide talk to: TOLLGATE_URL, server.url, or the local port. */
export function serviceUrl(config: Pick<TollgateConfig, 'server'>, env: NodeJS.ProcessEnv = process.env): string {
  return (env.TOLLGATE_URL || config.server.url || `http://127.0.0.1:${config.server.port}`).replace(/\/+$/, '');
}

/** The policy files in force for a config: the enforced set, or a rollout's two, plus a shadow set. */
export function policyFiles(config: Pick<TollgateConfig, 'policy' | 'rollout' | 'shadow'>): PolicyFiles {
  const shadow = config.shadow ? { shadow: config.shadow } : {};
  return config.rollout ? { strict: config.rollout.strict, permissive: config.rollout.permissive, ...shadow } : { enforced: config.policy, ...shadow };
}
