/**
 * Slack approvals end to end: the real service (embedded database, SlackNotifier, Temporal
 * worker, Bolt receiver) against a real dev server; only Slack's Web API is the local fake.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTemporal, type TestTemporal } from '../../support/temporal.js';
import { TEST_APPROVERS, WORKFLOW_TEST_POLICY, eventually, quietTemporalRuntime, testConfig } from '../../support/governance.js';
import { FakeSlack, type RecordedCall } from '../../support/fakeSlack.js';
import { blockActionsPayload, postSigned, viewSubmissionPayload } from '../../support/slackSigning.js';
import { findFreePort } from '../../../temporal-config/freePort.js';
import { startService, type RunningService } from '../../../src/service/service.js';
import { OperationRegistry } from '../../../src/operation/registry.js';
import { OperationRejectedError } from '../../../src/client/errors.js';
import { readSecrets } from '../../../src/config.js';

const SECRET = 'e2e-signing-secret';
const CHANNEL = 'C0APPROVALS';
const ESCALATION_CHANNEL = 'C0ESCALATE';

let temporal: TestTemporal;
let fake: FakeSlack;
let service: RunningService;
let events: string;
const runs = new Map<string, number>();
const requester = { identifier: 'bob', roles: ['engineer'] };
let sequence = 0;

const policy = {
  ...WORKFLOW_TEST_POLICY,
  rules: [
    { name: 'grantable_reports', effect: 'require_approval', actions: ['report:run'], resources: ['dataset://reports/*'], priority: 4,
      metadata: { approvalTimeout: '1h', grantable: { maxTtl: '2h', maxUses: 3 } } },
    { name: 'escalating', effect: 'require_approval', actions: ['data:export'], resources: ['dataset://slow/*'], priority: 5,
      metadata: { approvalTimeout: '8s', escalateAfter: '2s', escalateTo: { channel: ESCALATION_CHANNEL, roles: ['security'] } } },
    ...WORKFLOW_TEST_POLICY.rules,
  ],
};

beforeAll(async () => {
  quietTemporalRuntime();
  temporal = await startTestTemporal();
  fake = await FakeSlack.start();
  fake.setUsergroup('S0MANAGERS', ['UGROUPIE']);
  const config = await testConfig(policy, {
    address: temporal.address,
    approvers: [...TEST_APPROVERS, { identifier: 'sam', slackUserId: 'USAM', roles: ['security'] }],
    slack: { apiUrl: fake.apiUrl, approvalChannel: CHANNEL, approverGroups: [{ usergroupId: 'S0MANAGERS', roles: ['manager'] }] },
    database: { dataDir: await mkdtemp(join(tmpdir(), 'tollgate-e2e-db-')), embeddedPort: await findFreePort() },
    server: { port: 0 },
  });
  config.secrets = readSecrets({ SLACK_BOT_TOKEN: 'xoxb-e2e-token', SLACK_SIGNING_SECRET: SECRET });
  const operations = new OperationRegistry().register('export', async (_args, context) => {
    runs.set(context.operationId, (runs.get(context.operationId) ?? 0) + 1);
    return { ok: true };
  });
  service = await startService({ config, operations });
  events = `http://127.0.0.1:${service.port}/slack/events`;
});

afterAll(async () => {
  await service?.stop();
  await fake?.close();
  await temporal?.close();
});

async function submitAndAwaitMessage(resource = 'dataset://sales', subject = requester, action = 'data:export') {
  const id = `slack-${Date.now().toString(36)}-${++sequence}`;
  const handle = await service.client.submit({ id, subject, action, resource, operation: { name: 'export' } });
  const posted = await fake.waitFor('chat.postMessage', (call) => JSON.stringify(call.body).includes(id), 20_000);
  return { id, handle, posted };
}

const click = (id: string, userId: string, action: 'tollgate_approve' | 'tollgate_approve_grant' | 'tollgate_reject', messageTs?: string) =>
  postSigned(events, blockActionsPayload({ actionId: action, value: id, userId, channel: CHANNEL, messageTs }), { secret: SECRET });

const ephemeralFor = (userId: string, since: number) => fake.waitFor('chat.postEphemeral', (call) => String(call.body.user) === userId && call.at >= since);

function buttons(call: RecordedCall): Array<{ action_id: string; value: string }> {
  const blocks = (typeof call.body.blocks === 'string' ? JSON.parse(call.body.blocks) : call.body.blocks) as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>;
  return blocks.filter((block) => block.type === 'actions').flatMap((block) => block.elements ?? []);
}

const statusOf = async (id: string) => (await service.client.status(id)).status;

describe('Slack approvals end to end', () => {
  it('posts the request with two buttons; an Approve click completes it, runs it once and updates the message', async () => {
    const { id, handle, posted } = await submitAndAwaitMessage();
    expect(posted.body.channel).toBe(CHANNEL);
    expect(buttons(posted).map((b) => [b.action_id, b.value])).toEqual([['tollgate_approve', id], ['tollgate_reject', id]]);
    const response = await click(id, 'UALICE', 'tollgate_approve');
    expect(response.status).toBe(200);
    expect((await handle.result()).approval?.votes[0].approver).toEqual({ identifier: 'alice', slackUserId: 'UALICE' });
    expect(runs.get(id)).toBe(1);
    const update = await fake.waitFor('chat.update', (call) => JSON.stringify(call.body).includes(id) && buttons(call).length === 0);
    expect(JSON.stringify(update.body)).toContain('alice');
  });

  it('Reject opens a modal; submitting it with a reason rejects with that note', async () => {
    const { id, handle } = await submitAndAwaitMessage();
    const since = Date.now();
    expect((await click(id, 'UCAROL', 'tollgate_reject')).status).toBe(200);
    const modal = await fake.waitFor('views.open', (call) => call.at >= since);
    const view = (typeof modal.body.view === 'string' ? JSON.parse(modal.body.view) : modal.body.view) as { private_metadata: string };
    expect((await postSigned(events, viewSubmissionPayload({ userId: 'UCAROL', privateMetadata: view.private_metadata, reason: 'not before the audit' }), { secret: SECRET })).status).toBe(200);
    const error = await handle.result().catch((e) => e);
    expect(error).toBeInstanceOf(OperationRejectedError);
    expect(error.message).toContain('not before the audit');
    expect(runs.has(id)).toBe(false);
    await fake.waitFor('chat.update', (call) => JSON.stringify(call.body).includes('not before the audit'));
  });

  it('tells an unknown Slack user and the requester they may not act, and changes nothing', async () => {
    const { id } = await submitAndAwaitMessage();
    let since = Date.now();
    await click(id, 'UMALLORY', 'tollgate_approve');
    expect(String((await ephemeralFor('UMALLORY', since)).body.text)).toMatch(/not .*approver/i);
    since = Date.now();
    await click(id, 'UBOB', 'tollgate_approve');
    expect(String((await ephemeralFor('UBOB', since)).body.text)).toMatch(/you requested/i);
    expect(await statusOf(id)).toBe('awaiting_approval');
    expect((await service.client.status(id)).approval?.votes).toEqual([]);
    await click(id, 'UCAROL', 'tollgate_reject');
  });

  it('refuses a click from the Slack user mapped to the requester, whatever case the request spells the name in', async () => {
    const { id } = await submitAndAwaitMessage('dataset://sales', { identifier: 'Bob', roles: ['engineer'] });
    const since = Date.now();
    await click(id, 'UBOB', 'tollgate_approve');
    expect(String((await ephemeralFor('UBOB', since)).body.text)).toMatch(/you requested/i);
    expect((await service.client.status(id)).approval?.votes).toEqual([]);
    await click(id, 'UCAROL', 'tollgate_reject');
  });

  it('offers "Approve for 1h" on a grantable rule; the modal grants, and the next request is approved without a click', async () => {
    const { id, handle, posted } = await submitAndAwaitMessage('dataset://reports/a', requester, 'report:run');
    expect(buttons(posted).map((b) => b.action_id)).toEqual(['tollgate_approve', 'tollgate_approve_grant', 'tollgate_reject']);
    expect(JSON.stringify(posted.body.blocks)).toContain('Approve for 1h');
    const since = Date.now();
    await click(id, 'UALICE', 'tollgate_approve_grant');
    const modal = await fake.waitFor('views.open', (call) => call.at >= since);
    const view = (typeof modal.body.view === 'string' ? JSON.parse(modal.body.view) : modal.body.view) as { private_metadata: string; callback_id: string };
    expect(view.callback_id).toBe('tollgate_grant_modal');
    const submission = viewSubmissionPayload({
      userId: 'UALICE', privateMetadata: view.private_metadata, callbackId: 'tollgate_grant_modal',
      values: { tollgate_grant_ttl: { value: '1h' }, tollgate_grant_scope: { value: 'dataset://reports/*' }, tollgate_grant_uses: { value: '2' } },
    });
    expect((await postSigned(events, submission, { secret: SECRET })).status).toBe(200);
    expect((await handle.result()).approval?.votes[0]).toMatchObject({ approver: { identifier: 'alice' }, channel: 'slack' });
    const next = await service.client.submit({ subject: requester, action: 'report:run', resource: 'dataset://reports/b', operation: { name: 'export' } });
    expect((await next.result()).approval?.grantedBy).toMatchObject({ grantedBy: 'alice', scope: 'dataset://reports/*' });
  });

  it('shows no grant button on a rule that offers none', async () => {
    const { id, posted } = await submitAndAwaitMessage();
    expect(buttons(posted).map((b) => b.action_id)).toEqual(['tollgate_approve', 'tollgate_reject']);
    await click(id, 'UCAROL', 'tollgate_reject');
  });

  it('counts a double click once and tells the second click it was already decided', async () => {
    const { id, handle } = await submitAndAwaitMessage();
    await click(id, 'UALICE', 'tollgate_approve');
    await handle.result();
    const since = Date.now();
    await click(id, 'UALICE', 'tollgate_approve');
    expect(String((await ephemeralFor('UALICE', since)).body.text)).toMatch(/already|no longer/i);
    expect(runs.get(id)).toBe(1);
  });

  it('refuses a click after expiry and shows the expiry on the message', async () => {
    const { id, handle } = await submitAndAwaitMessage('dataset://ephemeral/x');
    await handle.result().catch(() => undefined);
    await fake.waitFor('chat.update', (call) => JSON.stringify(call.body).includes(id) && /expired/i.test(JSON.stringify(call.body)));
    const since = Date.now();
    await click(id, 'UALICE', 'tollgate_approve');
    expect(String((await ephemeralFor('UALICE', since)).body.text)).toMatch(/expired/i);
    expect(runs.has(id)).toBe(false);
  });

  it('refuses forged signatures and stale timestamps before they reach Temporal', async () => {
    const { id } = await submitAndAwaitMessage();
    const forged = await postSigned(events, blockActionsPayload({ actionId: 'tollgate_approve', value: id, userId: 'UALICE' }), { secret: 'not-the-secret' });
    const stale = await postSigned(events, blockActionsPayload({ actionId: 'tollgate_approve', value: id, userId: 'UALICE' }), { secret: SECRET, timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(forged.status).toBe(401);
    expect(stale.status).toBe(401);
    await new Promise((r) => setTimeout(r, 1_000));
    const view = await service.client.status(id);
    expect(view.status).toBe('awaiting_approval');
    expect(view.approval?.votes.length ?? 0).toBe(0);
    expect(view.approval?.refused.length ?? 0).toBe(0);
    await click(id, 'UCAROL', 'tollgate_reject');
  });

  it('needs two different users for a two-approver rule, showing "1 of 2" in between', async () => {
    const { id, handle } = await submitAndAwaitMessage('dataset://pii/users');
    await click(id, 'UALICE', 'tollgate_approve');
    await fake.waitFor('chat.update', (call) => JSON.stringify(call.body).includes(id) && /1 of 2/.test(JSON.stringify(call.body)));
    expect(runs.has(id)).toBe(false);
    await click(id, 'UCAROL', 'tollgate_approve');
    expect((await handle.result()).approval?.votes.map((v) => v.approver.identifier)).toEqual(['alice', 'carol']);
    expect(runs.get(id)).toBe(1);
  });

  it('counts a member of an approver user group, whom the workflow resolves through the same directory', async () => {
    const { id, handle } = await submitAndAwaitMessage();
    await click(id, 'UGROUPIE', 'tollgate_approve');
    expect((await handle.result()).approval?.votes[0].approver).toEqual({ identifier: 'UGROUPIE', slackUserId: 'UGROUPIE' });
  });

  it('escalates on a durable timer to another channel and widens who may decide; reminds at half time', async () => {
    const { id, handle, posted } = await submitAndAwaitMessage('dataset://slow/report');
    // sam holds only the escalation role: refused before the escalation, accepted after it.
    await eventually(async () => fake.calls('chat.postMessage').some((call) => call.body.channel === ESCALATION_CHANNEL && JSON.stringify(call.body).includes(id)), 'the escalation post', 20_000);
    const edited = await fake.waitFor('chat.update', (call) => JSON.stringify(call.body).includes(id) && /Escalated/.test(JSON.stringify(call.body)));
    expect(buttons(edited)).toHaveLength(2);
    const reminder = await fake.waitFor('chat.postMessage', (call) => call.body.thread_ts === (posted.response as { ts: string }).ts, 20_000);
    expect(String(reminder.body.text)).toContain('<@UALICE>');
    expect(String(reminder.body.text)).toContain('<@USAM>');
    await click(id, 'USAM', 'tollgate_approve');
    expect((await handle.result()).approval?.votes[0].approver.identifier).toBe('sam');
  });
});
