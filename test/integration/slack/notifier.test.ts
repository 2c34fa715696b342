/**
 * SlackNotifier against the fake Slack Web API and an in-process PGlite holding the
 * 002 migration: a retried activity must never post the same approval request twice.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config.js';
import { approvalOutcomeMessage } from '../../../src/slack/blocks.js';
import { SlackApproverDirectory } from '../../../src/approval/directory.js';
import { SlackConfigurationError } from '../../../src/slack/errors.js';
import { ConsoleNotifier, SlackNotifier, createNotifier } from '../../../src/slack/notifier.js';
import type { Queryable } from '../../../src/slack/types.js';
import { approvalInput, statusView } from '../../support/approvalFixtures.js';
import { approvalEventSink } from '../../../src/slack/eventSink.js';
import type { ApprovalPlan } from '../../../src/approval/plan.js';
import { FakeSlack } from '../../support/fakeSlack.js';

const MIGRATION = fileURLToPath(new URL('../../../src/store/migrations/002_slack_messages.sql', import.meta.url));
const BOT_TOKEN = 'xoxb-3333-4444-notifiertoken';

// A pg Pool must fit where the notifier takes a Queryable.
const _poolFits: (pool: pg.Pool) => Queryable = (pool) => pool;
void _poolFits;

let fake: FakeSlack;
let pglite: PGlite;
let db: Queryable;

function config(slack: Record<string, unknown> = {}) {
  return parseConfig(
    { slack: { apiUrl: fake.apiUrl, approvalChannel: 'C0APPROVALS', alertsChannel: 'C0ALERTS', ...slack } },
    { env: { SLACK_BOT_TOKEN: BOT_TOKEN } },
  );
}

const rowFor = async (key: string) => (await db.query('SELECT channel, ts FROM tollgate_slack_messages WHERE key = $1', [key])).rows[0];

beforeAll(async () => {
  fake = await FakeSlack.start();
  pglite = new PGlite();
  await pglite.exec(readFileSync(MIGRATION, 'utf8'));
  db = { query: (text, params) => pglite.query(text, params as unknown[]) };
});

afterAll(async () => {
  await fake?.close();
  await pglite?.close();
});

beforeEach(async () => {
  fake.reset();
  await db.query('DELETE FROM tollgate_slack_messages');
});

describe('SlackNotifier.postApprovalRequest', () => {
  it('posts once per key: a retry returns the first message instead of posting again', async () => {
    const notifier = SlackNotifier.fromConfig(config(), db);
    const first = await notifier.postApprovalRequest(approvalInput(), 'op-export-42:request');
    const again = await notifier.postApprovalRequest(approvalInput(), 'op-export-42:request');
    expect(again).toEqual(first);
    expect(fake.calls('chat.postMessage')).toHaveLength(1);
    expect(await rowFor('op-export-42:request')).toEqual(first);

    const post = fake.calls('chat.postMessage')[0];
    expect(post.auth).toBe(`Bearer ${BOT_TOKEN}`);
    expect(post.body.channel).toBe('C0APPROVALS');
    expect(post.body.metadata).toEqual({ event_type: 'tollgate_approval', event_payload: { key: 'op-export-42:request' } });
    expect(post.body.blocks.find((b: { type: string }) => b.type === 'actions').elements.map((e: { value: string }) => e.value)).toEqual(['op-export-42', 'op-export-42']);
  });

  it('recovers a post whose SQL row was lost (crash between post and insert) from channel history', async () => {
    const notifier = SlackNotifier.fromConfig(config(), db);
    const first = await notifier.postApprovalRequest(approvalInput(), 'op-export-42:request');
    await db.query('DELETE FROM tollgate_slack_messages');

    const recovered = await notifier.postApprovalRequest(approvalInput(), 'op-export-42:request');
    expect(recovered).toEqual(first);
    expect(fake.calls('chat.postMessage')).toHaveLength(1);
    const scan = fake.calls('conversations.history').at(-1)!;
    expect(scan.body).toMatchObject({ channel: 'C0APPROVALS', include_all_metadata: 'true' });
    expect(await rowFor('op-export-42:request')).toEqual(first);
  });

  it('finds the earlier post past the first page of history', async () => {
    const notifier = SlackNotifier.fromConfig(config(), db);
    const earlier = fake.seedMessage('C0APPROVALS', { text: 'request', metadata: { event_type: 'tollgate_approval', event_payload: { key: 'op-9:request' } } });
    for (let i = 0; i < 230; i += 1) fake.seedMessage('C0APPROVALS', { text: `chatter ${i}` });
    const ref = await notifier.postApprovalRequest(approvalInput({ operationId: 'op-9' }), 'op-9:request');
    expect(ref).toEqual({ channel: 'C0APPROVALS', ts: earlier.ts });
    expect(fake.calls('conversations.history')).toHaveLength(2);
    expect(fake.calls('chat.postMessage')).toHaveLength(0);
  });

  it('does not mistake another request, or metadata of another type, for its own post', async () => {
    const notifier = SlackNotifier.fromConfig(config(), db);
    fake.seedMessage('C0APPROVALS', { text: 'other', metadata: { event_type: 'tollgate_approval', event_payload: { key: 'op-other:request' } } });
    fake.seedMessage('C0APPROVALS', { text: 'foreign', metadata: { event_type: 'someone_else', event_payload: { key: 'op-export-42:request' } } });
    await notifier.postApprovalRequest(approvalInput(), 'op-export-42:request');
    expect(fake.calls('chat.postMessage')).toHaveLength(1);
  });

  it('keeps the first recorded post and deletes its own when another worker raced it', async () => {
    let raced = false;
    const racing: Queryable = {
      async query(text, params) {
        if (!raced && text.startsWith('INSERT')) {
          raced = true;
          await db.query('INSERT INTO tollgate_slack_messages (key, channel, ts) VALUES ($1, $2, $3)', [params![0], 'C0APPROVALS', '1.000001']);
        }
        return db.query(text, params);
      },
    };
    const notifier = SlackNotifier.fromConfig(config(), racing);
    const ref = await notifier.postApprovalRequest(approvalInput(), 'op-export-42:request');
    expect(ref).toEqual({ channel: 'C0APPROVALS', ts: '1.000001' });
    const posted = fake.calls('chat.postMessage')[0];
    expect(posted).toBeDefined();
    expect(fake.calls('chat.delete').map((call) => call.body)).toEqual([{ channel: 'C0APPROVALS', ts: expect.not.stringMatching(/^1\.000001$/) }]);
    expect(fake.messages('C0APPROVALS')).toHaveLength(0);
  });

  it('still posts when the bot may not read the channel history', async () => {
    const notifier = SlackNotifier.fromConfig(config(), db);
    fake.failNext('conversations.history', 'not_in_channel');
    const ref = await notifier.postApprovalRequest(approvalInput(), 'op-export-42:request');
    expect(ref.channel).toBe('C0APPROVALS');
    expect(fake.calls('chat.postMessage')).toHaveLength(1);
  });

  it('routes to the rule metadata channel first', async () => {
    const notifier = SlackNotifier.fromConfig(config(), db);
    const input = approvalInput({ rule: { name: 'pii', metadata: { slackChannel: 'C0PRIVACY' } } });
    expect((await notifier.postApprovalRequest(input, 'op-export-42:request')).channel).toBe('C0PRIVACY');
  });

  it('fails clearly when no channel is configured anywhere', async () => {
    const notifier = SlackNotifier.fromConfig(config({ approvalChannel: undefined }), db);
    const attempt = notifier.postApprovalRequest(approvalInput(), 'op-export-42:request');
    await expect(attempt).rejects.toBeInstanceOf(SlackConfigurationError);
    await expect(attempt).rejects.toThrow('set slack.approvalChannel in tollgate.yaml or `slackChannel` in the metadata of rule "prod-export-needs-approval"');
    expect(fake.calls('chat.postMessage')).toHaveLength(0);
  });
});

describe('SlackNotifier: updates, reminders, escalation, budget alerts', () => {
  it('updates the approval message in place', async () => {
    const notifier = SlackNotifier.fromConfig(config(), db);
    const ref = await notifier.postApprovalRequest(approvalInput(), 'op-export-42:request');
    const outcome = approvalOutcomeMessage(approvalInput(), { outcome: 'approved', decidedBy: { identifier: 'alice', slackUserId: 'U0ALICE' }, at: new Date().toISOString() });
    await notifier.updateApprovalMessage(ref, outcome);
    const update = fake.calls('chat.update')[0];
    expect(update.body).toMatchObject({ channel: ref.channel, ts: ref.ts, text: outcome.text });
    expect(fake.messages('C0APPROVALS')[0].blocks).toEqual(outcome.blocks);
  });

  it('threads reminders under the request, once per key', async () => {
    const notifier = SlackNotifier.fromConfig(config(), db);
    const ref = await notifier.postApprovalRequest(approvalInput(), 'op-export-42:request');
    await notifier.postReminder(ref, 'still waiting', 'op-export-42:reminder:1');
    await notifier.postReminder(ref, 'still waiting', 'op-export-42:reminder:1');
    const replies = fake.calls('chat.postMessage').filter((call) => call.body.thread_ts);
    expect(replies).toHaveLength(1);
    expect(replies[0].body).toMatchObject({ channel: 'C0APPROVALS', thread_ts: ref.ts, text: 'still waiting' });
  });

  it('escalates once, mentioning approvers with the escalation roles', async () => {
    const directory = new SlackApproverDirectory({
      approvers: [
        { identifier: 'vp', slackUserId: 'U0VP', roles: ['director'], attributes: {}, tags: {} },
        { identifier: 'dev', slackUserId: 'U0DEV', roles: ['engineer'], attributes: {}, tags: {} },
      ],
    });
    const notifier = SlackNotifier.fromConfig(config(), db, { directory });
    const original = await notifier.postApprovalRequest(approvalInput(), 'op-export-42:request');
    const input = { ...approvalInput(), escalateTo: { roles: ['director'] } };
    const first = await notifier.postEscalation(input, 'C0ESCALATE', original);
    const again = await notifier.postEscalation(input, 'C0ESCALATE', original);
    expect(again).toEqual(first);
    const posts = fake.calls('chat.postMessage').filter((call) => call.body.channel === 'C0ESCALATE');
    expect(posts).toHaveLength(1);
    const text = JSON.stringify(posts[0].body.blocks);
    expect(text).toContain('<@U0VP>');
    expect(text).not.toContain('<@U0DEV>');
    expect(text).toContain('<#C0APPROVALS>');
  });

  it('sends a budget alert to the alerts channel once per threshold and period', async () => {
    const notifier = SlackNotifier.fromConfig(config(), db);
    const alert = { level: 'team' as const, entity: 'team-platform', period: '2025-11', periodKind: 'month' as const, threshold: 0.9, spent: 900, limit: 1000, percent: 90.0, createdAt: new Date() };
    await notifier.sendBudgetAlert(alert);
    await notifier.sendBudgetAlert(alert);
    await notifier.sendBudgetAlert({ ...alert, threshold: 0.95, spent: 960 });
    const posts = fake.calls('chat.postMessage');
    expect(posts.map((call) => call.body.channel)).toEqual(['C0ALERTS', 'C0ALERTS']);
    expect(posts[0].body.metadata).toEqual({ event_type: 'tollgate_budget_alert', event_payload: { key: 'budget:team:team-platform:2025-11:0.9' } });
  });

  it('skips budget alerts when no alerts channel is configured, without failing', async () => {
    const notifier = SlackNotifier.fromConfig(config({ alertsChannel: undefined }), db);
    await notifier.sendBudgetAlert({ level: 'org' as const, entity: 'acme', period: '2025-11', periodKind: 'month' as const, threshold: 0.8, spent: 8000, limit: 10000, percent: 80.0, createdAt: new Date() });
    expect(fake.calls('chat.postMessage')).toHaveLength(0);
  });
});

describe('approval event sink over SlackNotifier', () => {
  const plan: ApprovalPlan = { timeoutMs: 3_600_000, required: 2, reminderAfterMs: 1_800_000, escalateAfterMs: 2_400_000, escalateTo: { channel: 'C0ESCALATE', roles: ['director'] } };
  const buttonsIn = (blocks: unknown[] | undefined) => JSON.stringify(blocks ?? []).includes('tollgate_approve');

  it('posts the request once, shows progress, reminds in the thread, escalates, and closes both messages', async () => {
    const directory = new SlackApproverDirectory({ approvers: [{ identifier: 'vp', slackUserId: 'U0VP', roles: ['director'], attributes: {}, tags: {} }] });
    const sink = approvalEventSink(SlackNotifier.fromConfig(config(), db, { directory }), config());
    const view = statusView({ id: 'op-flow' });
    view.approval!.required = 2;

    const ref = await sink.notify({ kind: 'requested', view, plan });
    expect(ref).toBeDefined();
    // The activity is retried after a timeout: still one message.
    expect(await sink.notify({ kind: 'requested', view, plan })).toEqual(ref);
    expect(fake.messages('C0APPROVALS')).toHaveLength(1);
    view.approval!.message = ref;

    view.approval!.votes.push({ approver: { identifier: 'alice', slackUserId: 'U0ALICE' }, decision: 'approve', at: '2025-01-01T10:00:00Z' });
    await sink.notify({ kind: 'progress', view });
    expect(JSON.stringify(fake.messages('C0APPROVALS')[0].blocks)).toContain('1 of 2 approvals');

    await sink.notify({ kind: 'reminder', view });
    await sink.notify({ kind: 'reminder', view });
    expect(fake.messages('C0APPROVALS').filter((m) => m.thread_ts === ref!.ts)).toHaveLength(1);

    view.approval!.escalated = true;
    view.approval!.escalatedTo = plan.escalateTo;
    await sink.notify({ kind: 'escalated', view, plan });
    await sink.notify({ kind: 'escalated', view, plan });
    const [notice] = fake.messages('C0ESCALATE');
    expect(fake.messages('C0ESCALATE')).toHaveLength(1);
    expect(JSON.stringify(notice.blocks)).toContain('<@U0VP>');

    view.approval!.votes.push({ approver: { identifier: 'bob', slackUserId: 'U0BOB' }, decision: 'approve', at: '2025-01-01T11:00:00Z', notes: 'ok for Q3' });
    await sink.notify({ kind: 'closed', view, outcome: 'approved' });
    const closed = fake.messages('C0APPROVALS')[0];
    expect(buttonsIn(closed.blocks)).toBe(false);
    expect(JSON.stringify(closed.blocks)).toContain('*Approved* by <@U0ALICE>, <@U0BOB>');
    expect(JSON.stringify(closed.blocks)).toContain('>ok for Q3');
    expect(buttonsIn(fake.messages('C0ESCALATE')[0].blocks)).toBe(false);
  });
});

describe('createNotifier', () => {
  it('uses Slack when a bot token is configured, the console otherwise', () => {
    expect(createNotifier(config(), db)).toBeInstanceOf(SlackNotifier);
    const noSlack = parseConfig({}, { env: {} });
    expect(createNotifier(noSlack, db)).toBeInstanceOf(ConsoleNotifier);
  });
});
