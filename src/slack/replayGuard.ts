/**
 * Replay protection for the Slack endpoint. Bolt's HTTPReceiver verifies the v0 signature
 * and refuses timestamps older than five minutes, but it accepts the same signed request
 * any number of times inside that window, and it accepts timestamps in the future. Someone
 * who captures one signed click (a proxy log, a mirrored load balancer) could replay it.
 *
 * The guard wraps the receiver's request listener, so it runs before Bolt parses the body:
 * it buffers the body the way Bolt does (Bolt reuses `req.rawBody`), verifies the signature
 * with Bolt's own `verifySlackRequest`, and remembers each verified signature until its
 * timestamp has gone stale. Requests that fail verification are passed on untouched for
 * Bolt to refuse (401), so there is one authority on authenticity and `ssl_check` still works.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { HTTPModuleFunctions, verifySlackRequest, type HTTPReceiver } from '@slack/bolt';
import type { Logger } from '../log.js';

/** Slack's (and Bolt's) freshness window for `x-slack-request-timestamp`. */
export const SLACK_TIMESTAMP_WINDOW_SECONDS = 5 * 60;

/** Signatures seen recently. `admit` is synchronous so check-and-record cannot interleave. */
export class SignatureReplayCache {
  private readonly seen = new Map<string, number>();
  private lastSweep = 0;

  constructor(
    private readonly windowSeconds = SLACK_TIMESTAMP_WINDOW_SECONDS,
    private readonly now: () => number = Date.now,
  ) {}

  /** True the first time a signature is seen; false for a replay within the window. */
  admit(signature: string, timestampSeconds: number): boolean {
    const now = this.now();
    this.sweep(now);
    const expiresAt = this.seen.get(signature);
    if (expiresAt !== undefined && expiresAt > now) return false;
    // Bolt refuses the request once it is older than the window, so that is as long as we need it.
    this.seen.set(signature, (timestampSeconds + this.windowSeconds + 1) * 1000);
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

export type ReplayVerdict = 'pass' | 'replay' | 'future';

/**
 * What to do with a buffered request: `pass` to Bolt (which also refuses forgeries),
 * or refuse as a replay / as dated too far in the future.
 */
export function judgeSlackRequest(args: {
  signingSecret: string;
  body: string;
  signature: string | undefined;
  timestamp: string | undefined;
  cache: SignatureReplayCache;
  nowMs?: number;
}): ReplayVerdict {
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
  return args.cache.admit(signature, timestampSeconds) ? 'pass' : 'replay';
}

export interface ReplayGuardOptions {
  signingSecret: string;
  endpoints: readonly string[];
  cache?: SignatureReplayCache;
  logger: Logger;
  bodyLimit?: number;
  now?: () => number;
}

/** Put the guard in front of an HTTPReceiver's Slack endpoints. */
export function installReplayGuard(receiver: HTTPReceiver, options: ReplayGuardOptions): SignatureReplayCache {
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
  cache: SignatureReplayCache,
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
  const verdict = judgeSlackRequest({
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
