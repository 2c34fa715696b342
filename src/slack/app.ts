/**
 * The Slack receiver: a Bolt app on the service's port (`POST /slack/events` plus the
 * service's own routes such as `GET /healthz`), or Socket Mode when SLACK_APP_TOKEN is set.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, SocketModeReceiver, type CustomRoute } from '@slack/bolt';
import type { TollgateConfig } from '../config.js';
import { InfrastructureUnavailableError } from '../errors.js';
import { logger as rootLogger, type Logger } from '../log.js';
import { slackLogger } from './slackLogger.js';
import { SlackConfigurationError } from './errors.js';
import { registerApprovalHandlers } from './handlers.js';
import { installReplayGuard, SignatureReplayCache, type ReplayCache } from './replayGuard.js';
import type { ApprovalGateway, ApproverDirectory } from './types.js';

export const SLACK_EVENTS_PATH = '/slack/events';

export type { CustomRoute };

export interface CreateSlackAppOptions {
  config: Pick<TollgateConfig, 'slack' | 'secrets' | 'temporal'>;
  gateway: ApprovalGateway;
  directory: ApproverDirectory;
  logger?: Logger;
  /** Extra HTTP routes on the same port, e.g. `{ path: '/healthz', method: 'GET', handler }`. */
  customRoutes?: CustomRoute[];
  /** Where handled requests are remembered; the service shares one in SQL between its receivers. Default: this process's memory. */
  replayCache?: ReplayCache;
}

export interface TollgateSlackApp {
  readonly app: App;
  readonly mode: 'http' | 'socket';
  /** Verifies the bot token (auth.test), then listens. Resolves with the bound port (useful with 0). */
  start(port: number): Promise<{ port: number }>;
  stop(): Promise<void>;
}

export function createSlackApp(options: CreateSlackAppOptions): TollgateSlackApp {
  const { config, gateway, directory } = options;
  const log = (options.logger ?? rootLogger).child({ component: 'slack' });
  const { slackBotToken, slackSigningSecret, slackAppToken } = config.secrets;
  if (!slackBotToken) throw new SlackConfigurationError('SLACK_BOT_TOKEN is not set: the Slack app needs a bot token (xoxb-…)');
  const clientOptions = {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    // Replies go to someone who just clicked; after a few seconds they are no use, and the
    // client's default of ten retries over half an hour would pile up behind an outage.
    retryConfig: { retries: 2, factor: 2, minTimeout: 500 },
  };
  const customRoutes = options.customRoutes ?? [];
  const blog = slackLogger(log);

  if (slackAppToken) {
    const receiver = new SocketModeReceiver({ appToken: slackAppToken, logger: blog, installerOptions: { clientOptions } });
    const app = new App({ receiver, token: slackBotToken, clientOptions, logger: blog, deferInitialization: true });
    wire(app, { gateway, directory, logger: log, temporal: { uiUrl: config.temporal.uiUrl, namespace: config.temporal.namespace } });
    // Socket Mode has no HTTP endpoint of its own; the service's routes still need a port.
    let routes: Server | undefined;
    return {
      app,
      mode: 'socket',
      async start(port) {
        await initialise(app);
        routes = customRoutes.length ? await serveRoutes(customRoutes, port) : undefined;
        await app.start();
        log.info({ mode: 'socket' }, 'Slack receiver connected');
        return { port: routes ? (routes.address() as AddressInfo).port : port };
      },
      async stop() {
        await app.stop();
        if (routes) await new Promise<void>((resolve) => routes!.close(() => resolve()));
      },
    };
  }

  if (!slackSigningSecret) {
    throw new SlackConfigurationError('SLACK_SIGNING_SECRET is not set: the Slack receiver needs it to verify requests (or set SLACK_APP_TOKEN for Socket Mode)');
  }
  const receiver = new HTTPReceiver({
    signingSecret: slackSigningSecret,
    endpoints: [SLACK_EVENTS_PATH],
    customRoutes,
    logger: blog,
  });
  installReplayGuard(receiver, {
    signingSecret: slackSigningSecret,
    endpoints: [SLACK_EVENTS_PATH],
    cache: options.replayCache ?? new SignatureReplayCache(),
    logger: log,
  });
  const app = new App({ receiver, token: slackBotToken, clientOptions, logger: blog, deferInitialization: true });
  wire(app, { gateway, directory, logger: log, temporal: { uiUrl: config.temporal.uiUrl, namespace: config.temporal.namespace } });
  return {
    app,
    mode: 'http',
    async start(port) {
      await initialise(app);
      const server = (await app.start(port)) as Server;
      const bound = (server.address() as AddressInfo).port;
      log.info({ mode: 'http', port: bound, path: SLACK_EVENTS_PATH }, 'Slack receiver listening');
      return { port: bound };
    },
    async stop() {
      await app.stop();
    },
  };
}

function wire(app: App, deps: Parameters<typeof registerApprovalHandlers>[1]): void {
  registerApprovalHandlers(app, deps);
  app.error(async (error) => {
    deps.logger.error({ err: error.message, code: (error as { code?: string }).code }, 'unhandled error in Slack listener');
  });
}

/** auth.test once at start, so a wrong token fails loudly instead of on the first click. */
async function initialise(app: App): Promise<void> {
  try {
    await app.init();
  } catch (error) {
    const detail = (error as { data?: { error?: string } }).data?.error ?? (error as Error).message;
    throw new InfrastructureUnavailableError(`Slack rejected the bot token check (auth.test: ${detail}); check SLACK_BOT_TOKEN and slack.apiUrl`, { cause: error });
  }
}

function serveRoutes(routes: CustomRoute[], port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const method = (req.method ?? 'GET').toUpperCase();
    const route = routes.find((r) => r.path === path && [r.method].flat().map((m) => m.toUpperCase()).includes(method));
    if (!route) {
      res.writeHead(404);
      res.end();
      return;
    }
    route.handler(Object.assign(req, { params: {} }), res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve(server));
  });
}
