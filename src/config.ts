import { readFileSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { DURATION_HINT, isDuration } from './duration.js';
import { TollgateInputError } from './errors.js';
import { presetPath } from './patterns/presets.js';

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

export const ConfigSchema = z.object({
  /** A policy set file, or `preset:NAME` for a shipped preset (enterprise, tenant-isolation, ...). */
  policy: z.string().min(1).default('preset:enterprise'),
  temporal: TemporalSchema.default(TemporalSchema.parse({})),
  database: DatabaseSchema.default(DatabaseSchema.parse({})),
  slack: SlackSchema.default(SlackSchema.parse({})),
  approvers: z.array(ApproverSchema).default([]),
  approvals: z.object({ defaultTimeout: duration.default('24h') }).strict().default({ defaultTimeout: '24h' }),
  budgets: BudgetsSchema.default(BudgetsSchema.parse({})),
  security: SecuritySchema.default(SecuritySchema.parse({})),
  server: z.object({ port: z.number().int().min(0).default(3000) }).strict().default({ port: 3000 }),
}).strict();

export type TollgateConfigFile = z.input<typeof ConfigSchema>;

/** Secrets never live in the file; they come from the environment. */
export interface TollgateSecrets {
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
  let policy: string;
  try {
    policy = config.policy.startsWith(PRESET_PREFIX) ? presetPath(config.policy.slice(PRESET_PREFIX.length)) : resolve(baseDir, config.policy);
  } catch (error) {
    throw new TollgateInputError(`${where}: policy: ${(error as Error).message}`, 'policy');
  }
  return { ...config, policy, secrets: readSecrets(env), baseDir, source: options.source ?? null };
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
