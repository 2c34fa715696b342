/**
 * Several workers run a Slack receiver each behind one load balancer. A signed click replayed to
 * another worker must be refused there too, so the replay guard remembers requests in SQL.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config.js';
import { createSlackApp, type TollgateSlackApp } from '../../../src/slack/app.js';
import { SqlReplayCache } from '../../../src/slack/replayGuard.js';
import { createApproverDirectory } from '../../../src/approval/directory.js';
import { statusView } from '../../support/approvalFixtures.js';
import { FakeSlack } from '../../support/fakeSlack.js';
import { RecordingGateway } from '../../support/recordingGateway.js';
import { blockActionsPayload, send, signedRequest } from '../../support/slackSigning.js';
import { describeEachDatabase } from '../../support/databases.js';

const SECRET = 'replay-signing-secret';

describeEachDatabase('Slack replay guard across receivers', (db) => {
  let fake: FakeSlack;
  const gateway = new RecordingGateway();
  const receivers: Array<{ app: TollgateSlackApp; url: string }> = [];

  beforeAll(async () => {
    fake = await FakeSlack.start();
    gateway.set(statusView({ id: 'op-1' }));
    const config = parseConfig(
      { slack: { apiUrl: fake.apiUrl, approvalChannel: 'C0A' }, approvers: [{ slackUserId: 'U0ALICE', identifier: 'alice', roles: ['manager'] }] },
      { env: { SLACK_BOT_TOKEN: 'xoxb-replay', SLACK_SIGNING_SECRET: SECRET } },
    );
    for (let i = 0; i < 2; i++) {
      const app = createSlackApp({ config, gateway, directory: createApproverDirectory(config), replayCache: new SqlReplayCache(db().newPool(2)) });
      const { port } = await app.start(0);
      receivers.push({ app, url: `http://127.0.0.1:${port}/slack/events` });
    }
  });

  afterAll(async () => {
    for (const { app } of receivers) await app.stop();
    await fake?.close();
  });

  it('handles a click once, whichever receiver the copy reaches', async () => {
    const request = signedRequest(blockActionsPayload({ actionId: 'tollgate_approve', value: 'op-1', userId: 'U0ALICE', channel: 'C0A' }), { secret: SECRET });
    expect((await send(receivers[0].url, request)).status).toBe(200);
    await fake.waitFor('chat.postEphemeral', (call) => call.body.user === 'U0ALICE');
    expect((await send(receivers[1].url, request)).status).toBe(401);
    const respelled = { ...request, headers: { ...request.headers, 'x-slack-signature': `${request.headers['x-slack-signature']}=1` } };
    expect((await send(receivers[1].url, respelled)).status).toBe(401);
    expect(gateway.decisions).toHaveLength(1);
  });
});
