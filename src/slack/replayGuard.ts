/**
 * Replay protection for the Slack endpoint. Bolt's HTTPReceiver verifies the v0 signature
 * and refuses timestamps older than five minutes, but it accepts the same signed request
 * any number of times inside that window, and it accepts timestamps in the future. Someone
 * who captures one signed click (a proxy log, a mirrored load balancer) could replay it.
 *
 * The guard wraps the receiver's request listener, so it runs before Bolt parses the body:
 * it buffers the body the way Bolt does (Bolt reuses `req.rawBody`), verifies the signature
 * with Bolt's own `verifySlackRequest`, and remembers each verified request until its
 * timestamp has gone stale. Requests that fail verification are passed on untouched for
 * Bolt to refuse (401), so there is one authority on authenticity and `ssl_check` still works.
 *
 * A request is remembered by its timestamp and the digest of its body, never by the signature
 * header: Bolt compares only the part of the header before a second `=`, so `v0=<hex>=1`,
 * `v0=<hex>=2`, … all verify, and a cache of header strings would take each for new.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Queryable } from '../store/connect.js';
import { HTTPModuleFunctions, verifySlackRequest, type HTTPReceiver } from '@slack/bolt';
import type { Logger } from '../log.js';

/** Slack's (and Bolt's) freshness window for `x-slack-request-timestamp`. */
export const SLACK_TIMESTAMP_WINDOW_SECONDS = 5 * 60;

/** Requests seen recently: `admit` is true the first time a key is seen within its window. */
export interface ReplayCache {
  admit(key: string, timestampSeconds: number): Promise<boolean>;
}

/** What identifies a signed Slack request, whatever its signature header looks like. */
export const replayKey = (timestamp: string, body: string): string => `${timestamp}:${createHash('sha256').update(body).digest('hex')}`;

/** In-process memory: enough for one receiver. Check-and-record is synchronous, so it cannot interleave. */
export class SignatureReplayCache implements ReplayCache {
  private readonly seen = new Map<string, number>();
  private lastSweep = 0;

  constructor(
    private readonly windowSeconds = SLACK_TIMESTAMP_WINDOW_SECONDS,
    private readonly now: () => number = Date.now,
  ) {}

  /** True the first time a request is seen; false for a replay within the window. */
  async admit(key: string, timestampSeconds: number): Promise<boolean> {
    return this.admitNow(key, timestampSeconds);
  }

  admitNow(key: string, timestampSeconds: number): boolean {
    const now = this.now();
    this.sweep(now);
    const expiresAt = this.seen.get(key);
    if (expiresAt !== undefined && expiresAt > now) return false;
    // Bolt refuses the request once it is older than the window, so that is as long as we need it.
    this.seen.set(key, (timestampSeconds + this.windowSeconds + 1) * 1000);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 10_000) return;
    this.lastSweep = now;
    for (const [signature, expiresAt] of this.seen) if (expiresAt <= now) this.seen.delete(signature);
  }
}

/**
 * Shared by every receiver on the same database: a request replayed to another worker behind
 * the load balancer is refused there too. The primary key makes check-and-record atomic.
 */
export class SqlReplayCache implements ReplayCache {
  private lastSweep = 0;

  constructor(
    private readonly db: Queryable,
    private readonly windowSeconds = SLACK_TIMESTAMP_WINDOW_SECONDS,
    private readonly now: () => number = Date.now,
  ) {}

  async admit(key: string, timestampSeconds: number): Promise<boolean> {
    const now = this.now();
    if (now - this.lastSweep > 60_000) {
      this.lastSweep = now;
      await this.db.query('DELETE FROM slack_request_replays WHERE expires_at < $1', [new Date(now)]);
    }
    const { rows } = await this.db.query(
      'INSERT INTO slack_request_replays (key, expires_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING key',
      [key, new Date((timestampSeconds + this.windowSeconds + 1) * 1000)],
    );
    return rows.length === 1;
  }
}

export type ReplayVerdict = 'pass' | 'replay' | 'future';

/**
 * What to do with a buffered request: `pass` to Bolt (which also refuses forgeries),
 * or refuse as a replay / as dated too far in the future.
 */
export async function judgeSlackRequest(args: {
  signingSecret: string;
  body: string;
  signature: string | undefined;
  timestamp: string | undefined;
  cache: ReplayCache;
  nowMs?: number;
}): Promise<ReplayVerdict> {
  const { signature, timestamp } = args;
  if (!signature || !timestamp) return 'pass';
  const timestampSeconds = Number(timestamp);
  const nowMs = args.nowMs ?? Date.now();
  try {
    verifySlackRequest({
      signingSecret: args.signingSecret,
      body: args.body,
      headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestampSeconds },
      nowMilliseconds: nowMs,
    });
  } catch {
    return 'pass';
  }
  if (timestampSeconds > nowMs / 1000 + SLACK_TIMESTAMP_WINDOW_SECONDS) return 'future';
  return (await args.cache.admit(replayKey(timestamp, args.body), timestampSeconds)) ? 'pass' : 'replay';
}

export interface ReplayGuardOptions {
  signingSecret: string;
  endpoints: readonly string[];
  cache?: ReplayCache;
  logger: Logger;
  bodyLimit?: number;
  now?: () => number;
}

/** Put the guard in front of an HTTPReceiver's Slack endpoints. */
export function installReplayGuard(receiver: HTTPReceiver, options: ReplayGuardOptions): ReplayCache {
  const cache = options.cache ?? new SignatureReplayCache(SLACK_TIMESTAMP_WINDOW_SECONDS, options.now);
  const boltListener: RequestListener = receiver.requestListener;
  const guarded: RequestListener = (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method?.toUpperCase() !== 'POST' || !options.endpoints.includes(path)) {
      // Synchronous, so Bolt's dispatchErrorHandler still sees unknown routes (404).
      return boltListener(req, res);
    }
    guardThenForward(req, res, boltListener, cache, options).catch((error: unknown) => {
      options.logger.error({ err: (error as Error).message }, 'Slack request guard failed');
      if (!res.headersSent) {
        res.writeHead(500);
        res.end();
      }
    });
  };
  receiver.requestListener = guarded;
  return cache;
}

async function guardThenForward(
  req: IncomingMessage,
  res: ServerResponse,
  next: RequestListener,
  cache: ReplayCache,
  options: ReplayGuardOptions,
): Promise<void> {
  let rawBody: Buffer;
  try {
    rawBody = (await HTTPModuleFunctions.bufferIncomingMessage(req, options.bodyLimit ?? HTTPModuleFunctions.defaultBodyLimit)).rawBody;
  } catch (error) {
    const tooLarge = HTTPModuleFunctions.isRawBodyError(error) && (error as { statusCode?: number }).statusCode === 413;
    res.writeHead(tooLarge ? 413 : 400);
    res.end();
    return;
  }
  const verdict = await judgeSlackRequest({
    signingSecret: options.signingSecret,
    body: rawBody.toString(),
    signature: singleHeader(req, 'x-slack-signature'),
    timestamp: singleHeader(req, 'x-slack-request-timestamp'),
    cache,
    nowMs: (options.now ?? Date.now)(),
  });
  if (verdict !== 'pass') {
    // The signature itself is a credential for the window: never log it.
    options.logger.warn({ verdict, path: req.url }, verdict === 'replay'
      ? 'refused a replayed Slack request (signature already used)'
      : 'refused a Slack request dated in the future');
    res.writeHead(401);
    res.end();
    return;
  }
  next(req, res);
}

function singleHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}
