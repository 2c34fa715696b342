import pino from 'pino';

/**
 * Paths that may carry secrets anywhere Tollgate logs a request, a config or an error.
 * Redaction lives in the one logger so that no call site can forget it.
 */
const REDACT_PATHS = [
  '*.token', '*.password', '*.secret', '*.apiKey', '*.signingSecret', '*.authorization',
  '*.*.token', '*.*.password', '*.*.secret', '*.*.apiKey',
  'headers.authorization', 'req.headers.authorization', '*.headers["x-slack-signature"]',
];

// stderr: stdout carries `--json` documents and `tollgate mcp`'s JSON-RPC stream.
export const logger = pino({
  name: 'tollgate',
  level: process.env.TOLLGATE_LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'info',
  redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
}, pino.destination(2));

export type Logger = typeof logger;
