import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { WebClient } from '@slack/web-api';
import type { AddressInfo } from 'node:net';
import type { TollgateConfig } from '../config.js';
import { logger } from '../log.js';
import { GovernanceClient } from '../client/GovernanceClient.js';
import { openStore, type Store } from '../store/index.js';
import { createNotifier, createSlackApp, NotifierApprovalSink, type TollgateSlackApp } from '../slack/index.js';
import { SqlReplayCache } from '../slack/replayGuard.js';
import { slackLogger } from '../slack/slackLogger.js';
import { deliverBudgetAlerts, undeliveredBudgetAlerts } from '../budget/index.js';
import { configureRedaction } from '../redact.js';
import { createApproverDirectory } from '../approval/directory.js';
import { createOidcVerifier } from '../approval/oidc.js';
import { loadDecisionKey, type ServiceKey } from '../keys.js';
import { hostname } from 'node:os';
import { RolloutPercentage } from '../patterns/rolloutState.js';
import { openAuditTrail, policyLoadedEntry, startAuditMaintenance } from '../audit/index.js';
import { PolicyEngine } from '../policy/engine.js';
import { loadPolicySet } from '../policy/load.js';
import { watchPolicies } from './policyReload.js';
import { createDecisionService, type DecisionService } from './decisions.js';
import { decisionApi } from './decisionApi.js';
import type { OperationRegistry } from '../operation/registry.js';
import { createTollgateWorker, loadPoliciesInForce, type TollgateWorker } from './worker.js';
import { healthHandler } from './health.js';

const REAPER_INTERVAL_MS = 5 * 60_000;

export interface ServiceOptions {
  config: TollgateConfig;
  operations?: OperationRegistry;
  /** Serve the embedded database from this process when no database url is configured. */
  serveEmbeddedDatabase?: boolean;
  /** The decision key; default: loadDecisionKey(config), created when the embedded database is served here. */
  decisionKey?: ServiceKey;
  /**
   * What this process runs (default: both). Scaled out, workers run without the receiver and one
   * or more receivers (the Slack endpoint and the decision API) run behind a load balancer.
   */
  roles?: { worker?: boolean; receiver?: boolean };
}

export interface RunningService {
  /** Absent in a receiver-only process. */
  worker?: TollgateWorker;
  store: Store;
  client: GovernanceClient;
  /** The port /healthz (and /slack/events, when Slack is configured) listens on. */
  port: number;
  slack?: TollgateSlackApp;
  /** Signs and sends decisions: what the Slack receiver and the decision API call. */
  decisions: DecisionService;
  stop(): Promise<void>;
}

/**
 * The long-running process: SQL store, Temporal worker, the receiver (Slack over HTTP or Socket
 * Mode, and the decision API) and /healthz. Stops everything it started, in reverse order.
 */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const { config } = options;
  // One redaction policy for every sink this process writes to: Slack, audit, logs, errors.
  configureRedaction(config.redaction);
  const log = logger.child({ component: 'service' });
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch((error) => log.error({ err: error }, 'error while stopping'));
    stops.length = 0;
  };
  try {
    const store = await openStore(config, { serveEmbedded: options.serveEmbeddedDatabase ?? true });
    stops.push(() => store.close());
    log.info({ database: store.kind }, 'database ready');

    // With a bot token, Slack user groups count as approvers too (usergroups.users.list).
    const slackClient = config.secrets.slackBotToken
      ? new WebClient(config.secrets.slackBotToken, { ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}), logger: slackLogger(logger.child({ component: 'slack-web-api' })) })
      : undefined;
    // One trail per process, signed with the service's audit key, anchored outside the database.
    const { trail: audit, maintenanceIntervalMs } = openAuditTrail(store.pool, config, { create: options.serveEmbeddedDatabase ?? true, slack: slackClient, logger: log });
    const maintenance = startAuditMaintenance(audit, { intervalMs: maintenanceIntervalMs, logger: log });
    stops.push(() => maintenance.stop());

    const client = await GovernanceClient.connect(config, { store, audit });
    stops.push(() => client.close());
    // The embedded default makes its own key; elsewhere the operator provides one (README: security).
    const decisionKey = options.decisionKey ?? loadDecisionKey(config, { create: options.serveEmbeddedDatabase ?? true });
    // The rollout percentage lives in SQL so `tollgate rollout set` reaches running workers.
    const rollout = new RolloutPercentage(store.pool, config.rollout?.percentage ?? 0);
    if (config.rollout) {
      await rollout.refresh();
      const stopPolling = rollout.poll();
      stops.push(async () => stopPolling());
    }
    const policies = loadPoliciesInForce(config, rollout.current);
    const processName = `${hostname()}:${process.pid}`;
    await audit.append(policies.describe().map((set) => policyLoadedEntry(set, processName)));
    const stopWatching = watchPolicies(policies, {
      load: (file) => new PolicyEngine(loadPolicySet(file)),
      async onLoaded(loaded) {
        log.info({ role: loaded.role, file: loaded.file, version: loaded.version, previous: loaded.previous }, 'policy reloaded: new evaluations use the new version');
        await audit.append([policyLoadedEntry(loaded, processName)]).catch((error) => log.warn({ err: error }, 'could not audit the policy reload'));
      },
      onRefused: ({ role, file, problems }) => log.error({ role, file, problems }, 'refused the changed policy file; the version in force stays'),
    });
    stops.push(async () => stopWatching());
    const directory = createApproverDirectory(config, slackClient);
    const notifier = createNotifier(config, store.pool, { directory });
    const roles = { worker: options.roles?.worker ?? true, receiver: options.roles?.receiver ?? true };
    let worker: TollgateWorker | undefined;
    if (roles.worker) {
      const started = await createTollgateWorker({
        config,
        operations: options.operations,
        approvals: new NotifierApprovalSink(notifier, config.temporal),
        store,
        audit,
        directory,
        budgetAlerts: notifier,
        decisionKey,
        policies,
      });
      const running = started.run();
      stops.push(() => started.shutdown().then(() => running));
      worker = started;
    }

    // Terminated workflows run no compensation: give their reservations back. Alerts whose
    // delivery failed (Slack down, a crash between record and send) are sent again.
    const reaper = setInterval(() => {
      client.releaseStaleReservations().then(
        ({ released }) => released.length && log.info({ released }, 'released stale budget reservations'),
        (error) => log.warn({ err: error }, 'stale reservation sweep failed'),
      );
      undeliveredBudgetAlerts(store.pool, 60_000)
        .then((alerts) => deliverBudgetAlerts(store.pool, notifier, alerts))
        .catch((error) => log.warn({ err: error }, 'could not resend undelivered budget alerts'));
    }, REAPER_INTERVAL_MS);
    reaper.unref();
    stops.push(async () => clearInterval(reaper));

    const health = healthHandler({
      worker: () => (!worker ? { ok: true, detail: 'no worker in this process (receiver only)' } : worker.isPolling() ? { ok: true } : { ok: false, detail: 'the worker is not polling its task queue yet' }),
      database: async () => (await store.pool.query('SELECT 1'), { ok: true }),
      temporal: async () => (await client.temporal.workflowService.getSystemInfo({}), { ok: true }),
      policy: () => ({ ok: true, sets: policies.describe().map(({ role, name, version }) => ({ role, name, version })) }),
    });
    const decisions = createDecisionService({ temporal: client.temporal, key: decisionKey, directory, policies, config });
    const decide = decisionApi({
      decisions,
      db: store.pool,
      oidc: config.auth.oidc ? createOidcVerifier(config.auth.oidc) : undefined,
      logger,
    });
    const decideRoute = (req: IncomingMessage, res: ServerResponse) => void decide(req, res);
    let port: number;
    let slack: TollgateSlackApp | undefined;
    if (roles.receiver && config.secrets.slackBotToken) {
      slack = createSlackApp({
        config,
        gateway: decisions,
        directory,
        replayCache: new SqlReplayCache(store.pool),
        customRoutes: [
          { path: '/healthz', method: ['GET'], handler: health },
          { path: '/v1/operations/:id/decision', method: ['POST', 'GET', 'PUT', 'DELETE'], handler: decideRoute },
        ],
      });
      ({ port } = await slack.start(config.server.port));
      stops.push(() => slack!.stop());
      log.info({ port, mode: slack.mode }, 'Slack receiver listening');
    } else {
      const server: Server = createServer((req, res) => {
        if (req.method === 'GET' && req.url?.split('?')[0] === '/healthz') return health(req, res);
        if (!roles.receiver) return void res.writeHead(404).end();
        void decide(req, res).then((handled) => {
          if (!handled) res.writeHead(404).end();
        });
      });
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(config.server.port, config.server.host, resolve));
      port = (server.address() as AddressInfo).port;
      stops.push(() => new Promise((resolve) => server.close(resolve)));
      log.info({ port, receiver: roles.receiver }, config.secrets.slackBotToken ? '/healthz listening (no receiver in this process)' : 'no SLACK_BOT_TOKEN: approvals go to the console; /healthz listening');
    }
    return { worker, store, client, port, slack, decisions, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
