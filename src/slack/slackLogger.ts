import { LogLevel, type Logger as SlackLogger } from '@slack/bolt';
import { logger as rootLogger, type Logger } from '../log.js';

/**
 * Bolt, its receivers and the Slack Web API client log through this (`new WebClient(token,
 * { logger: slackLogger() })`, `new App({ logger })`), so their lines land in the one pino logger,
 * with its redaction and format, instead of on the console. Levels are pino's to decide: Bolt's
 * setLevel is ignored, and getLevel reports pino's.
 */
export function slackLogger(log: Logger = rootLogger.child({ component: 'slack' })): SlackLogger {
  let current = log;
  const text = (parts: unknown[]) => parts.map(describe).join(' ');
  return {
    debug: (...parts: unknown[]) => current.debug(text(parts)),
    info: (...parts: unknown[]) => current.info(text(parts)),
    warn: (...parts: unknown[]) => current.warn(text(parts)),
    error: (...parts: unknown[]) => current.error(text(parts)),
    setLevel: () => {},
    getLevel: () => SLACK_LEVEL[current.level] ?? LogLevel.ERROR,
    // The client names itself (web-api:WebClient:0); keep that, it tells two clients apart.
    setName: (name: string) => {
      current = log.child({ slack: name });
    },
  };
}

const SLACK_LEVEL: Record<string, LogLevel> = {
  trace: LogLevel.DEBUG, debug: LogLevel.DEBUG, info: LogLevel.INFO, warn: LogLevel.WARN, error: LogLevel.ERROR, fatal: LogLevel.ERROR,
};

function describe(part: unknown): string {
  if (typeof part === 'string') return part;
  if (part instanceof Error) return `${part.name}: ${part.message}`;
  try {
    return JSON.stringify(part);
  } catch {
    return String(part);
  }
}
