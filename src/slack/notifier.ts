/**
 * How the workflow's activities reach people: Slack when a bot token is configured, the
 * service's terminal otherwise (so `tollgate start` works with no Slack at all).
 */
import type { types } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import type { Approver, TollgateConfig } from '../config.js';
import { logger as rootLogger, type Logger } from '../log.js';
import { redact } from '../redact.js';
import { approvalRequestMessage, budgetAlertMessage, escalationNotice, temporalWorkflowUrl } from './blocks.js';
import { slackLogger } from './slackLogger.js';
import { escalationKey } from './messageKeys.js';
import { SlackConfigurationError } from './errors.js';
import { formatCost } from './mrkdwn.js';
import type {
  ApprovalMessageInput,
  ApproverDirectory,
  BudgetAlert,
  EscalationInput,
  MessageRef,
  Queryable,
  SlackMessage,
} from './types.js';

export interface ApprovalNotifier {
  /** Post the approval request once per `idempotencyKey` (e.g. `${workflowId}:request`), however often it is retried. */
  postApprovalRequest(input: ApprovalMessageInput, idempotencyKey: string): Promise<MessageRef>;
  /** Replace the approval message (progress, outcome). Idempotent by nature. */
  updateApprovalMessage(ref: MessageRef, message: SlackMessage): Promise<void>;
  /** A reply in the approval message's thread; with a key, posted at most once. */
  postReminder(ref: MessageRef, text: string, idempotencyKey?: string): Promise<void>;
  /** Post the escalation notice to `channel`; at most once per key (default escalationKey(operationId, channel)). */
  postEscalation(input: EscalationInput, channel: string, ref?: MessageRef, idempotencyKey?: string): Promise<MessageRef>;
  /** To `slack.alertsChannel`, once per scope, id, period and threshold. */
  sendBudgetAlert(alert: BudgetAlert): Promise<void>;
  /** Where the message posted under `idempotencyKey` lives, if it was posted. */
  postedRef(idempotencyKey: string): Promise<MessageRef | null>;
}

/** Slack message metadata event types; the payload carries the idempotency key. */
export const APPROVAL_EVENT_TYPE = 'tollgate_approval';
export const BUDGET_ALERT_EVENT_TYPE = 'tollgate_budget_alert';

/** Slack platform errors after which scanning history is pointless but posting may still work. */
const HISTORY_UNAVAILABLE = new Set(['not_in_channel', 'missing_scope', 'channel_not_found', 'no_permission', 'access_denied']);

/**
 * Clock skew allowance when bounding the history scan by the request time: the worker's
 * clock and Slack's may disagree, and a missed message means a duplicate post.
 */
const HISTORY_SKEW_SECONDS = 600;

export interface SlackNotifierOptions {
  client: WebClient;
  db: Queryable;
  approvalChannel?: string;
  alertsChannel?: string;
  /** Resolves `escalateTo.roles` into mentions. */
  directory?: ApproverDirectory;
  logger?: Logger;
  /** How many pages of 200 messages to scan when looking for an earlier post. */
  historyPages?: number;
}

export class SlackNotifier implements ApprovalNotifier {
  private readonly client: WebClient;
  private readonly db: Queryable;
  private readonly logger: Logger;
  private readonly historyPages: number;

  constructor(private readonly options: SlackNotifierOptions) {
    this.client = options.client;
    this.db = options.db;
    this.logger = (options.logger ?? rootLogger).child({ component: 'slack-notifier' });
    this.historyPages = options.historyPages ?? 5;
  }

  static fromConfig(
    config: Pick<TollgateConfig, 'slack' | 'secrets'>,
    db: Queryable,
    extra: Pick<SlackNotifierOptions, 'directory' | 'logger' | 'historyPages'> = {},
  ): SlackNotifier {
    const token = config.secrets.slackBotToken;
    if (!token) throw new SlackConfigurationError('SLACK_BOT_TOKEN is not set: the Slack notifier needs a bot token (xoxb-…)');
    const log = extra.logger ?? rootLogger;
    const client = new WebClient(token, {
      ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
      logger: slackLogger(log.child({ component: 'slack-web-api' })),
      // Activities are retried by Temporal with their own policy and timeouts; the
      // client's default of ten retries over half an hour would outlive them.
      retryConfig: { retries: 2, factor: 2, minTimeout: 500 },
    });
    return new SlackNotifier({
      client,
      db,
      approvalChannel: config.slack.approvalChannel,
      alertsChannel: config.slack.alertsChannel,
      ...extra,
    });
  }

  async postApprovalRequest(input: ApprovalMessageInput, idempotencyKey: string): Promise<MessageRef> {
    const channel = this.approvalChannelFor(input);
    return this.postOnce(idempotencyKey, { channel, ...approvalRequestMessage(input) }, APPROVAL_EVENT_TYPE, input.requestedAt);
  }

  async updateApprovalMessage(ref: MessageRef, message: SlackMessage): Promise<void> {
    if (ref.channel === 'console') {
      this.logger.warn({ ref }, 'approval message was posted to the console, not Slack; not updating it');
      return;
    }
    await this.client.chat.update({ channel: ref.channel, ts: ref.ts, text: message.text, blocks: message.blocks as types.AnyBlock[] });
  }

  async postReminder(ref: MessageRef, text: string, idempotencyKey?: string): Promise<void> {
    if (ref.channel === 'console') return;
    const post = async () => {
      const result = await this.client.chat.postMessage({ channel: ref.channel, thread_ts: ref.ts, text });
      return { channel: result.channel ?? ref.channel, ts: requireTs(result.ts) };
    };
    if (!idempotencyKey) {
      await post();
      return;
    }
    if (await this.lookup(idempotencyKey)) return;
    await this.record(idempotencyKey, await post());
  }

  async postEscalation(input: EscalationInput, channel: string, ref?: MessageRef, idempotencyKey?: string): Promise<MessageRef> {
    const mentions = new Set(input.escalateTo?.mentions ?? []);
    const roles = input.escalateTo?.roles ?? [];
    if (roles.length && this.options.directory) {
      for (const approver of await this.options.directory.withRoles(roles)) {
        if (approver.slackUserId) mentions.add(approver.slackUserId);
      }
    }
    const notice = escalationNotice({ ...input, escalateTo: { ...input.escalateTo, mentions: [...mentions] } }, ref);
    const key = idempotencyKey ?? escalationKey(input.operationId, channel);
    return this.postOnce(key, { channel, ...notice }, APPROVAL_EVENT_TYPE, input.requestedAt);
  }

  async sendBudgetAlert(alert: BudgetAlert): Promise<void> {
    const channel = this.options.alertsChannel;
    if (!channel) {
      // Alerts are advisory: a missing channel must not fail the operation that crossed a threshold.
      this.logger.warn({ level: alert.level, entity: alert.entity, threshold: alert.threshold }, 'budget alert not sent: slack.alertsChannel is not set');
      return;
    }
    const key = `budget:${alert.level}:${alert.entity}:${alert.period}:${alert.threshold}`;
    await this.postOnce(key, { channel, ...budgetAlertMessage(alert) }, BUDGET_ALERT_EVENT_TYPE);
  }

  postedRef(idempotencyKey: string): Promise<MessageRef | null> {
    return this.lookup(idempotencyKey);
  }

  /** The approval channel: the rule's `slackChannel` metadata, else `slack.approvalChannel`. */
  approvalChannelFor(input: ApprovalMessageInput): string {
    const fromRule = input.rule.metadata?.slackChannel;
    if (typeof fromRule === 'string' && fromRule.trim()) return fromRule.trim();
    if (this.options.approvalChannel) return this.options.approvalChannel;
    const rule = input.rule.name ? ` or \`slackChannel\` in the metadata of rule "${input.rule.name}"` : '';
    throw new SlackConfigurationError(`no Slack channel for approval requests: set slack.approvalChannel in tollgate.yaml${rule}`);
  }

  /**
   * Post at most once per key. The SQL row is the fast path. If it is missing, the post may
   * still have happened (the process died between posting and recording), so the channel's
   * recent history is searched for a message carrying the key in its metadata.
   */
  private async postOnce(key: string, message: SlackMessage & { channel: string }, eventType: string, since?: string): Promise<MessageRef> {
    const known = await this.lookup(key);
    if (known) return known;
    const earlier = await this.findInHistory(message.channel, key, eventType, since);
    if (earlier) {
      this.logger.info({ key }, 'found an earlier Slack post for this key; not posting again');
      return this.record(key, earlier);
    }
    const result = await this.client.chat.postMessage({
      channel: message.channel,
      text: message.text,
      blocks: message.blocks as types.AnyBlock[],
      metadata: { event_type: eventType, event_payload: { key } },
      unfurl_links: false,
      unfurl_media: false,
    });
    const posted = { channel: result.channel ?? message.channel, ts: requireTs(result.ts) };
    const kept = await this.record(key, posted);
    if (kept.ts !== posted.ts || kept.channel !== posted.channel) {
      // Another worker posted for the same key at the same time and recorded first.
      await this.client.chat.delete({ channel: posted.channel, ts: posted.ts }).catch((error: Error) => {
        this.logger.warn({ key, err: error.message }, 'could not delete duplicate Slack post');
      });
    }
    return kept;
  }

  private async lookup(key: string): Promise<MessageRef | null> {
    const { rows } = await this.db.query('SELECT channel, ts FROM tollgate_slack_messages WHERE key = $1', [key]);
    return rows[0] ? { channel: String(rows[0].channel), ts: String(rows[0].ts) } : null;
  }

  /** Record a post; when the key is already taken, the recorded post wins and is returned. */
  private async record(key: string, ref: MessageRef): Promise<MessageRef> {
    const inserted = await this.db.query(
      'INSERT INTO tollgate_slack_messages (key, channel, ts) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING RETURNING channel, ts',
      [key, ref.channel, ref.ts],
    );
    if (inserted.rows[0]) return ref;
    return (await this.lookup(key)) ?? ref;
  }

  private async findInHistory(channel: string, key: string, eventType: string, since?: string): Promise<MessageRef | null> {
    const sinceMs = since ? Date.parse(since) : Number.NaN;
    const oldest = Number.isNaN(sinceMs) ? undefined : `${Math.max(0, Math.floor(sinceMs / 1000) - HISTORY_SKEW_SECONDS)}.000000`;
    let cursor: string | undefined;
    for (let page = 0; page < this.historyPages; page += 1) {
      let result;
      try {
        result = await this.client.conversations.history({
          channel,
          include_all_metadata: true,
          limit: 200,
          ...(oldest ? { oldest } : {}),
          ...(cursor ? { cursor } : {}),
        });
      } catch (error) {
        const code = (error as { data?: { error?: string } }).data?.error;
        if (code && HISTORY_UNAVAILABLE.has(code)) {
          this.logger.warn({ channel, error: code }, 'cannot read channel history to check for an earlier post (invite the bot to the channel); posting without that check');
          return null;
        }
        throw error;
      }
      const match = (result.messages ?? []).find((message) => {
        const metadata = message.metadata as { event_type?: string; event_payload?: { key?: unknown } } | undefined;
        return metadata?.event_type === eventType && metadata.event_payload?.key === key;
      });
      if (match?.ts) return { channel, ts: match.ts };
      cursor = result.response_metadata?.next_cursor || undefined;
      if (!result.has_more || !cursor) return null;
    }
    return null;
  }
}

function requireTs(ts: string | undefined): string {
  if (!ts) throw new Error('Slack accepted the message but returned no ts');
  return ts;
}

// ---------------------------------------------------------------------------------------
// Console
// ---------------------------------------------------------------------------------------

export interface ConsoleNotifierOptions {
  approvers?: readonly Approver[];
  /** Where the readable notices go; the service's terminal by default. */
  write?: (text: string) => void;
  logger?: Logger;
  now?: () => number;
}

/**
 * No Slack configured: print each request with the exact CLI commands that decide it,
 * so a local `tollgate start` is usable end to end.
 */
export class ConsoleNotifier implements ApprovalNotifier {
  private readonly write: (text: string) => void;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly posted = new Map<string, MessageRef>();
  private sequence = 0;

  constructor(private readonly options: ConsoleNotifierOptions = {}) {
    this.write = options.write ?? ((text) => process.stdout.write(text));
    this.logger = (options.logger ?? rootLogger).child({ component: 'console-notifier' });
    this.now = options.now ?? Date.now;
  }

  async postApprovalRequest(input: ApprovalMessageInput, idempotencyKey: string): Promise<MessageRef> {
    const known = this.posted.get(idempotencyKey);
    if (known) return known;
    this.logger.info({ operationId: input.operationId, rule: input.rule.name }, 'approval requested (no Slack configured; decide with the CLI)');
    this.write(describeRequest('Approval needed', input, this.options.approvers ?? []));
    return this.remember(idempotencyKey);
  }

  async updateApprovalMessage(_ref: MessageRef, message: SlackMessage): Promise<void> {
    this.write(`\n[tollgate] ${plain(message.text)}\n`);
  }

  async postReminder(_ref: MessageRef, text: string): Promise<void> {
    this.write(`\n[tollgate] ${plain(text)}\n`);
  }

  async postEscalation(input: EscalationInput, channel: string, _ref?: MessageRef, idempotencyKey?: string): Promise<MessageRef> {
    const key = idempotencyKey ?? escalationKey(input.operationId, channel);
    const known = this.posted.get(key);
    if (known) return known;
    const to = [...(input.escalateTo?.roles ?? []).map((role) => `role ${role}`), ...(input.escalateTo?.mentions ?? [])];
    this.write(describeRequest(`Escalated${to.length ? ` to ${to.join(', ')}` : ''}: still waiting for approval`, input, this.options.approvers ?? []));
    return this.remember(key);
  }

  async sendBudgetAlert(alert: BudgetAlert): Promise<void> {
    this.write(`\n[tollgate] ${plain(budgetAlertMessage(alert).text)}\n`);
  }

  async postedRef(idempotencyKey: string): Promise<MessageRef | null> {
    return this.posted.get(idempotencyKey) ?? null;
  }

  private remember(key: string): MessageRef {
    this.sequence += 1;
    const ref = { channel: 'console', ts: `${Math.floor(this.now() / 1000)}.${String(this.sequence).padStart(6, '0')}` };
    this.posted.set(key, ref);
    return ref;
  }
}

function describeRequest(title: string, input: ApprovalMessageInput, approvers: readonly Approver[]): string {
  const id = shellWord(input.operationId);
  const subject = input.subject;
  const who = [
    subject.roles?.length ? `roles: ${subject.roles.join(', ')}` : undefined,
    subject.tags?.tenant_id ? `tenant: ${subject.tags.tenant_id}` : undefined,
  ].filter(Boolean).join('; ');
  const lines = [
    '',
    `── Tollgate: ${title} ──`,
    `  Operation:  ${input.operationId}`,
    `  Request:    ${subject.identifier}${who ? ` (${who})` : ''} wants to ${input.action} on ${input.resource}`,
    `  Rule:       ${input.rule.name ?? '(default effect)'}${input.rule.description ? ` — ${input.rule.description}` : ''}`,
  ];
  if (input.estimatedCost !== undefined) lines.push(`  Cost:       ${formatCost(input.estimatedCost)} (estimated)`);
  lines.push(`  Deadline:   ${input.deadline}  (needs ${input.requiredApprovals} approval${input.requiredApprovals === 1 ? '' : 's'})`);
  if (input.context && Object.keys(input.context).length) {
    const json = JSON.stringify(redact(input.context));
    lines.push(`  Context:    ${json.length > 2000 ? `${json.slice(0, 1999)}…` : json}`);
  }
  lines.push(`  Temporal:   ${temporalWorkflowUrl(input.temporal, input.operationId)}`);
  // The approver is whoever the token names (`tollgate approvers token create IDENT` makes one).
  lines.push(`  Approve:    TOLLGATE_TOKEN=<your approver token> tollgate approvals approve ${id}`);
  lines.push(`  Reject:     TOLLGATE_TOKEN=<your approver token> tollgate approvals reject ${id} --note "..."`);
  const names = approvers.map((approver) => approver.identifier).filter((name) => name !== subject.identifier);
  if (names.length) lines.push(`  Approvers:  ${names.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/** Slack text to terminal text: unescape entities and show `<@U1>`/`<!date…|x>` by their fallback. */
function plain(text: string): string {
  return text
    .replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<@([A-Z0-9]+)>/g, '@$1')
    .replace(/<([^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function shellWord(value: string): string {
  return /^[A-Za-z0-9._:@\/-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

// ---------------------------------------------------------------------------------------

export interface CreateNotifierOptions {
  directory?: ApproverDirectory;
  logger?: Logger;
  /** Console output target when no Slack token is configured. */
  write?: (text: string) => void;
}

/** Slack when SLACK_BOT_TOKEN is set, else the console. */
export function createNotifier(
  config: Pick<TollgateConfig, 'slack' | 'secrets' | 'approvers'>,
  db: Queryable,
  options: CreateNotifierOptions = {},
): ApprovalNotifier {
  if (config.secrets.slackBotToken) {
    return SlackNotifier.fromConfig(config, db, {
      ...(options.directory ? { directory: options.directory } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }
  return new ConsoleNotifier({
    approvers: config.approvers,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.write ? { write: options.write } : {}),
  });
}
