/**
 * A local stand-in for the Slack Web API (Slack itself is unreachable from tests). Point a
 * WebClient or Bolt at `fake.apiUrl` through `slack.apiUrl`. Every call is recorded with its
 * parsed body and auth header; responses have the shape Slack documents, and posted messages
 * are kept per channel so `conversations.history` (with metadata) reflects them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseQuery } from 'node:querystring';

export interface RecordedCall {
  method: string;
  /** Form fields (JSON-looking values parsed) or the JSON body. */
  body: Record<string, any>;
  /** The Authorization header, e.g. `Bearer xoxb-…`. */
  auth: string | undefined;
  contentType: string | undefined;
  /** When the call arrived (ms since epoch), so tests can look only at calls after an action. */
  at: number;
  /** What the fake answered. */
  response?: Record<string, unknown>;
}

export interface FakeMessage {
  type: 'message';
  ts: string;
  text?: string;
  blocks?: unknown[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  thread_ts?: string;
  bot_id: string;
  user: string;
  app_id: string;
}

interface Waiter {
  method: string;
  predicate: (call: RecordedCall) => boolean;
  resolve: (call: RecordedCall) => void;
}

export const FAKE_BOT = { userId: 'UBOT0001', botId: 'BBOT0001', teamId: 'T0TOLLGATE', appId: 'A0TOLLGATE' } as const;

export class FakeSlack {
  private readonly recorded: RecordedCall[] = [];
  private readonly channels = new Map<string, FakeMessage[]>();
  private readonly usergroups = new Map<string, string[]>();
  private readonly failures = new Map<string, { error: string; times: number }>();
  private waiters: Waiter[] = [];
  private clock = Math.floor(Date.now() / 1000);
  private sequence = 0;

  private constructor(private readonly server: Server, readonly apiUrl: string) {}

  static async start(): Promise<FakeSlack> {
    let fake: FakeSlack | undefined;
    const server = createServer((req, res) => {
      fake!.handle(req, res).catch((error: Error) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(error.message);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    fake = new FakeSlack(server, `http://127.0.0.1:${port}/api/`);
    return fake;
  }

  /** Calls so far, optionally of one method. */
  calls(method?: string): RecordedCall[] {
    return method ? this.recorded.filter((call) => call.method === method) : [...this.recorded];
  }

  /** Resolves with the first call (past or future) of `method` that satisfies `predicate`. */
  waitFor(method: string, predicate: (call: RecordedCall) => boolean = () => true, timeoutMs = 10_000): Promise<RecordedCall> {
    const existing = this.recorded.find((call) => call.method === method && predicate(call));
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        method,
        predicate,
        resolve: (call) => {
          clearTimeout(timer);
          resolve(call);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const seen = this.recorded.map((call) => call.method).join(', ') || 'none';
        reject(new Error(`fake Slack: no matching ${method} call within ${timeoutMs} ms (calls so far: ${seen})`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Messages in a channel, oldest first, including thread replies. */
  messages(channel: string): FakeMessage[] {
    return [...(this.channels.get(channel) ?? [])];
  }

  /** Put a message in a channel as if it had been posted earlier (e.g. before a crash). */
  seedMessage(channel: string, message: Omit<FakeMessage, 'type' | 'ts' | 'bot_id' | 'user' | 'app_id'>): FakeMessage {
    return this.store(channel, message);
  }

  setUsergroup(usergroupId: string, users: string[]): void {
    this.usergroups.set(usergroupId, [...users]);
  }

  /** The next `times` calls of `method` answer `{ ok: false, error }`. */
  failNext(method: string, error: string, times = 1): void {
    this.failures.set(method, { error, times });
  }

  reset(): void {
    this.recorded.length = 0;
    this.channels.clear();
    this.usergroups.clear();
    this.failures.clear();
  }

  close(): Promise<void> {
    this.server.closeAllConnections?.();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  // -------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    const method = pathname.replace(/^\/api\//, '');
    const raw = await readBody(req);
    const contentType = req.headers['content-type']?.split(';')[0]?.trim();
    const body = parseBody(raw, contentType);
    const call: RecordedCall = { method, body, auth: req.headers.authorization, contentType, at: Date.now() };
    this.recorded.push(call);
    const answer = this.respond(call);
    call.response = answer;
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(answer));
    // Waiters run after the response so a test that awaits a call sees the caller unblocked.
    for (const waiter of [...this.waiters]) {
      if (waiter.method === method && waiter.predicate(call)) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(call);
      }
    }
  }

  private respond(call: RecordedCall): Record<string, unknown> {
    const failure = this.failures.get(call.method);
    if (failure) {
      failure.times -= 1;
      if (failure.times <= 0) this.failures.delete(call.method);
      return { ok: false, error: failure.error };
    }
    const handler = this.methods[call.method];
    if (!handler) return { ok: false, error: 'unknown_method' };
    if (!call.auth?.startsWith('Bearer ') && !call.body.token) return { ok: false, error: 'not_authed' };
    return handler(call.body);
  }

  private readonly methods: Record<string, (body: Record<string, any>) => Record<string, unknown>> = {
    'auth.test': () => ({
      ok: true,
      url: 'https://tollgate-test.slack.com/',
      team: 'Tollgate Test',
      user: 'tollgate',
      team_id: FAKE_BOT.teamId,
      user_id: FAKE_BOT.userId,
      bot_id: FAKE_BOT.botId,
      is_enterprise_install: false,
    }),

    'chat.postMessage': (body) => {
      if (!body.channel) return { ok: false, error: 'channel_not_found' };
      if (!body.text && !body.blocks) return { ok: false, error: 'no_text' };
      // Posting to a user id opens the app's DM with them.
      const channel = /^[UW]/.test(body.channel) ? `D${String(body.channel).slice(1)}` : String(body.channel);
      const message = this.store(channel, {
        text: body.text,
        ...(body.blocks ? { blocks: body.blocks } : {}),
        ...(body.metadata ? { metadata: body.metadata } : {}),
        ...(body.thread_ts ? { thread_ts: String(body.thread_ts) } : {}),
      });
      return { ok: true, channel, ts: message.ts, message };
    },

    'chat.update': (body) => {
      const message = this.channels.get(body.channel)?.find((m) => m.ts === body.ts);
      if (!message) return { ok: false, error: 'message_not_found' };
      if (body.text !== undefined) message.text = body.text;
      if (body.blocks !== undefined) message.blocks = body.blocks;
      return { ok: true, channel: body.channel, ts: body.ts, text: message.text, message };
    },

    'chat.delete': (body) => {
      const list = this.channels.get(body.channel);
      const index = list?.findIndex((m) => m.ts === body.ts) ?? -1;
      if (!list || index < 0) return { ok: false, error: 'message_not_found' };
      list.splice(index, 1);
      return { ok: true, channel: body.channel, ts: body.ts };
    },

    'chat.postEphemeral': (body) => {
      if (!body.channel || !body.user) return { ok: false, error: 'invalid_arguments' };
      return { ok: true, message_ts: this.nextTs() };
    },

    'views.open': (body) => {
      if (!body.trigger_id) return { ok: false, error: 'invalid_arguments' };
      const view = typeof body.view === 'object' ? body.view : {};
      return {
        ok: true,
        view: { id: `V${this.nextTs().replace('.', '')}`, team_id: FAKE_BOT.teamId, app_id: FAKE_BOT.appId, bot_id: FAKE_BOT.botId, state: { values: {} }, hash: 'fake', ...view },
      };
    },

    'conversations.history': (body) => {
      if (!body.channel) return { ok: false, error: 'channel_not_found' };
      const withMetadata = body.include_all_metadata === true || body.include_all_metadata === 'true';
      const limit = Math.min(Number(body.limit ?? 100) || 100, 999);
      const oldest = body.oldest !== undefined ? Number(body.oldest) : -Infinity;
      const latest = body.latest !== undefined ? Number(body.latest) : Infinity;
      const offset = body.cursor ? Number(String(body.cursor).replace(/^offset:/, '')) : 0;
      // Newest first, thread replies excluded, as Slack does.
      const all = (this.channels.get(body.channel) ?? [])
        .filter((m) => !m.thread_ts || m.thread_ts === m.ts)
        .filter((m) => Number(m.ts) >= oldest && Number(m.ts) <= latest)
        .reverse();
      const page = all.slice(offset, offset + limit).map((m) => {
        if (withMetadata) return { ...m };
        const { metadata: _hidden, ...rest } = m;
        return rest;
      });
      const hasMore = offset + limit < all.length;
      return { ok: true, messages: page, has_more: hasMore, pin_count: 0, response_metadata: { next_cursor: hasMore ? `offset:${offset + limit}` : '' } };
    },

    'usergroups.users.list': (body) => {
      const users = this.usergroups.get(body.usergroup);
      if (!users) return { ok: false, error: 'no_such_subteam' };
      return { ok: true, users };
    },
  };

  private store(channel: string, fields: Partial<FakeMessage>): FakeMessage {
    const message: FakeMessage = {
      type: 'message',
      ...fields,
      ts: this.nextTs(),
      bot_id: FAKE_BOT.botId,
      user: FAKE_BOT.userId,
      app_id: FAKE_BOT.appId,
    };
    const list = this.channels.get(channel) ?? [];
    list.push(message);
    this.channels.set(channel, list);
    return message;
  }

  /** Slack timestamps: seconds.microseconds, strictly increasing. */
  private nextTs(): string {
    this.sequence += 1;
    if (this.sequence > 999_999) {
      this.clock += 1;
      this.sequence = 1;
    }
    return `${this.clock}.${String(this.sequence).padStart(6, '0')}`;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(raw: string, contentType: string | undefined): Record<string, any> {
  if (!raw) return {};
  if (contentType === 'application/json') return JSON.parse(raw) as Record<string, any>;
  const out: Record<string, any> = {};
  for (const [key, value] of Object.entries(parseQuery(raw))) {
    const text = Array.isArray(value) ? value[0] : value;
    if (typeof text === 'string' && /^[[{]/.test(text)) {
      try {
        out[key] = JSON.parse(text);
        continue;
      } catch {
        // Not JSON after all; keep the string.
      }
    }
    out[key] = text;
  }
  return out;
}
