/**
 * The real Bolt HTTP receiver on a free port, driven by requests signed like Slack's, with
 * a recording ApprovalGateway in place of Temporal and the fake Slack Web API for replies.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config.js';
import { createSlackApp, type TollgateSlackApp } from '../../../src/slack/app.js';
import { createApproverDirectory } from '../../../src/approval/directory.js';
import { statusView } from '../../support/approvalFixtures.js';
import { FakeSlack } from '../../support/fakeSlack.js';
import { RecordingGateway } from '../../support/recordingGateway.js';
import {
  blockActionsPayload,
  postSigned,
  send,
  signedRequest,
  viewSubmissionPayload,
} from '../../support/slackSigning.js';

const SECRET = 'integration-signing-secret';
const BOT_TOKEN = 'xoxb-1111-2222-integrationtoken';
const CHANNEL = 'C0APPROVALS';

let fake: FakeSlack;
let gateway: RecordingGateway;
let slack: TollgateSlackApp;
let url: string;
let base: string;

beforeAll(async () => {
  fake = await FakeSlack.start();
  gateway = new RecordingGateway();
  const config = parseConfig(
    {
      slack: { apiUrl: fake.apiUrl, approvalChannel: CHANNEL },
      approvers: [
        { slackUserId: 'U0ALICE', identifier: 'alice', roles: ['manager'] },
        { slackUserId: 'U0BOB', identifier: 'bob', roles: ['manager'] },
      ],
    },
    { env: { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SECRET } },
  );
  slack = createSlackApp({
    config,
    gateway,
    directory: createApproverDirectory(config),
    customRoutes: [{ path: '/healthz', method: 'GET', handler: (_req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('ok'); } }],
  });
  const { port } = await slack.start(0);
  base = `http://127.0.0.1:${port}`;
  url = `${base}/slack/events`;
});

afterAll(async () => {
  await slack?.stop();
  await fake?.close();
});

beforeEach(() => {
  fake.reset();
  gateway.reset();
  gateway.set(statusView({ id: 'op-1' }));
});

const approve = (userId: string, value = 'op-1') => blockActionsPayload({ actionId: 'tollgate_approve', value, userId, channel: CHANNEL });
const reject = (userId: string, value = 'op-1') => blockActionsPayload({ actionId: 'tollgate_reject', value, userId, channel: CHANNEL });
const ephemeralTo = (user: string) => fake.waitFor('chat.postEphemeral', (call) => call.body.user === user);

describe('Slack receiver: approve', () => {
  it('verifies auth.test at start and serves the custom /healthz route on the same port', async () => {
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('signals approve with the approver mapped from the Slack user, then confirms privately', async () => {
    const response = await postSigned(url, approve('U0ALICE'), { secret: SECRET });
    expect(response.status).toBe(200);
    const confirmation = await ephemeralTo('U0ALICE');
    expect(confirmation.body).toMatchObject({ channel: CHANNEL, user: 'U0ALICE' });
    expect(confirmation.body.text).toContain('counted (1 of 1)');
    expect(confirmation.auth).toBe(`Bearer ${BOT_TOKEN}`);
    expect(gateway.decisions).toEqual([
      { operationId: 'op-1', identity: 'alice', slackUserId: 'U0ALICE', channel: 'slack', decision: 'approve' },
    ]);
  });

  it('tells a non-approver they cannot decide, and signals nothing', async () => {
    expect((await postSigned(url, approve('U0MALLORY'), { secret: SECRET })).status).toBe(200);
    const reply = await ephemeralTo('U0MALLORY');
    expect(reply.body.text).toContain('not a Tollgate approver');
    expect(gateway.decisions).toEqual([]);
    // Non-approvers do not even learn whether the operation exists.
    expect(gateway.described).toEqual([]);
  });

  it('refuses self-approval by the requester', async () => {
    gateway.set(statusView({ id: 'op-1', input: { subject: { identifier: 'alice' }, action: 'deploy', resource: 'svc://prod' } }));
    await postSigned(url, approve('U0ALICE'), { secret: SECRET });
    expect((await ephemeralTo('U0ALICE')).body.text).toContain('You requested `op-1` yourself');
    expect(gateway.decisions).toEqual([]);
  });

  it('says a request was already decided, and by whom', async () => {
    gateway.set(statusView({
      id: 'op-1',
      status: 'rejected',
      votes: [{ approver: { identifier: 'bob', slackUserId: 'U0BOB' }, decision: 'reject', at: '2025-01-01T00:00:00Z' }],
    }), false);
    await postSigned(url, approve('U0ALICE'), { secret: SECRET });
    expect((await ephemeralTo('U0ALICE')).body.text).toBe('`op-1` was already rejected (by <@U0BOB>); nothing changed.');
    expect(gateway.decisions).toEqual([]);
  });

  it('says an expired request has expired', async () => {
    gateway.set(statusView({ id: 'op-1', status: 'expired' }), false);
    await postSigned(url, approve('U0ALICE'), { secret: SECRET });
    expect((await ephemeralTo('U0ALICE')).body.text).toContain('has expired');
    expect(gateway.decisions).toEqual([]);
  });

  it('says when the workflow does not exist', async () => {
    await postSigned(url, approve('U0ALICE', 'op-missing'), { secret: SECRET });
    expect((await ephemeralTo('U0ALICE')).body.text).toBe('Tollgate has no operation `op-missing`; nothing changed.');
    expect(gateway.decisions).toEqual([]);
  });

  it('answers with an apology, not silence, when the workflow service is down', async () => {
    gateway.failDescribe = new Error('14 UNAVAILABLE: connection refused');
    await postSigned(url, approve('U0ALICE'), { secret: SECRET });
    expect((await ephemeralTo('U0ALICE')).body.text).toContain('could not reach the workflow service');
    expect(gateway.decisions).toEqual([]);
  });
});

describe('Slack receiver: reject with a reason', () => {
  it('opens the reason modal, then signals reject with the typed reason as notes', async () => {
    expect((await postSigned(url, reject('U0BOB'), { secret: SECRET })).status).toBe(200);
    const opened = await fake.waitFor('views.open');
    expect(opened.body.trigger_id).toMatch(/\.a1b2c3d4e5f6$/);
    expect(opened.body.view).toMatchObject({ type: 'modal', callback_id: 'tollgate_reject_modal' });
    expect(gateway.decisions).toEqual([]);

    const submission = viewSubmissionPayload({ userId: 'U0BOB', privateMetadata: opened.body.view.private_metadata, reason: '  Not during the freeze.  ' });
    expect((await postSigned(url, submission, { secret: SECRET })).status).toBe(200);
    const confirmation = await ephemeralTo('U0BOB');
    expect(confirmation.body).toMatchObject({ channel: CHANNEL });
    expect(gateway.decisions).toEqual([
      { operationId: 'op-1', identity: 'bob', slackUserId: 'U0BOB', channel: 'slack', decision: 'reject', notes: 'Not during the freeze.' },
    ]);
  });

  it('rejects without notes when the reason is left empty', async () => {
    const submission = viewSubmissionPayload({ userId: 'U0BOB', privateMetadata: JSON.stringify({ operationId: 'op-1', channel: CHANNEL }) });
    await postSigned(url, submission, { secret: SECRET });
    await ephemeralTo('U0BOB');
    expect(gateway.decisions).toEqual([{ operationId: 'op-1', identity: 'bob', slackUserId: 'U0BOB', channel: 'slack', decision: 'reject' }]);
  });

  it('does not open the modal for a non-approver', async () => {
    await postSigned(url, reject('U0MALLORY'), { secret: SECRET });
    await ephemeralTo('U0MALLORY');
    expect(fake.calls('views.open')).toEqual([]);
  });

  it('re-checks at submission: a request decided while the modal was open is not signalled', async () => {
    gateway.set(statusView({ id: 'op-1', status: 'completed' }), false);
    const submission = viewSubmissionPayload({ userId: 'U0BOB', privateMetadata: JSON.stringify({ operationId: 'op-1', channel: CHANNEL }), reason: 'no' });
    await postSigned(url, submission, { secret: SECRET });
    expect((await ephemeralTo('U0BOB')).body.text).toContain('was already approved');
    expect(gateway.decisions).toEqual([]);
  });
});

describe('Slack receiver: request authenticity', () => {
  it('refuses a forged signature with 401 before any listener runs', async () => {
    const forged = signedRequest(approve('U0ALICE'), { secret: 'not-the-secret' });
    const response = await send(url, forged);
    expect(response.status).toBe(401);
    expect(gateway.described).toEqual([]);
    expect(gateway.decisions).toEqual([]);
  });

  it('refuses a body altered after signing', async () => {
    const genuine = signedRequest(approve('U0MALLORY'), { secret: SECRET });
    const altered = { ...genuine, body: genuine.body.replace('U0MALLORY', 'U0ALICE') };
    expect((await send(url, altered)).status).toBe(401);
    expect(gateway.decisions).toEqual([]);
  });

  it('refuses a request without signature headers', async () => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'payload=%7B%7D' });
    expect(response.status).toBe(401);
  });

  it('refuses a correctly signed request whose timestamp is six minutes old', async () => {
    const stale = Math.floor(Date.now() / 1000) - 6 * 60;
    const response = await postSigned(url, approve('U0ALICE'), { secret: SECRET, timestamp: stale });
    expect(response.status).toBe(401);
    expect(gateway.described).toEqual([]);
    expect(gateway.decisions).toEqual([]);
  });

  it('refuses a correctly signed request dated ten minutes in the future', async () => {
    const future = Math.floor(Date.now() / 1000) + 10 * 60;
    expect((await postSigned(url, approve('U0ALICE'), { secret: SECRET, timestamp: future })).status).toBe(401);
    expect(gateway.decisions).toEqual([]);
  });

  it("still answers Slack's unsigned ssl_check, which carries no interaction", async () => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'ssl_check=1&token=abc' });
    expect(response.status).toBe(200);
    expect(gateway.described).toEqual([]);
  });

  it('accepts a signed request once and refuses an identical replay', async () => {
    const request = signedRequest(approve('U0ALICE'), { secret: SECRET });
    expect((await send(url, request)).status).toBe(200);
    await ephemeralTo('U0ALICE');
    expect(gateway.decisions).toHaveLength(1);

    const replay = await send(url, request);
    expect(replay.status).toBe(401);
    expect(gateway.decisions).toHaveLength(1);
    expect(gateway.described).toEqual(['op-1']);
  });

  it('refuses a replay whose signature header is spelled differently but verifies the same (v0=<hex>=1)', async () => {
    const request = signedRequest(approve('U0ALICE'), { secret: SECRET });
    expect((await send(url, request)).status).toBe(200);
    await ephemeralTo('U0ALICE');
    for (const suffix of ['=1', '=2', '=', '==x']) {
      const respelled = { ...request, headers: { ...request.headers, 'x-slack-signature': `${request.headers['x-slack-signature']}${suffix}` } };
      expect((await send(url, respelled)).status).toBe(401);
    }
    expect(gateway.decisions).toHaveLength(1);
  });
});
