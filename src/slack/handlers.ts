/**
 * The Approve / Reject listeners. Each one acknowledges first (Slack allows three seconds),
 * then checks the click, then hands it to the decision service, which signs it and sends the
 * `decide` Update. The workflow updates the approval message itself, through the notifier, once
 * it has counted the vote; the clicker learns at once whether it counted and why not.
 */
import type { App, BlockAction, ButtonAction, ViewSubmitAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../log.js';
import { OPERATION_ID } from '../operation/schema.js';
import {
  APPROVE_ACTION_ID,
  GRANT_ACTION_ID,
  GRANT_FIELD_ACTION_ID,
  GRANT_MODAL_CALLBACK_ID,
  GRANT_SCOPE_BLOCK_ID,
  GRANT_TTL_BLOCK_ID,
  GRANT_USES_BLOCK_ID,
  grantModal,
  offeredGrant,
  readGrantModalMetadata,
  REJECT_ACTION_ID,
  REJECT_MODAL_CALLBACK_ID,
  REJECT_REASON_ACTION_ID,
  REJECT_REASON_BLOCK_ID,
  REJECT_REASON_MAX,
  readRejectModalMetadata,
  rejectReasonModal,
} from './blocks.js';
import { code } from './mrkdwn.js';
import { isDuration } from '../duration.js';
import { precheckClick, type ClickPrecheck } from './precheck.js';
import { approvalMessageInput } from './approvalInput.js';
import type { ApprovalGateway, ApproverDirectory } from './types.js';

export interface ApprovalHandlerDeps {
  gateway: ApprovalGateway;
  directory: ApproverDirectory;
  logger: Logger;
  /** For the grant modal's view of the request. */
  temporal: { uiUrl: string; namespace: string };
}

const UNAVAILABLE = 'Tollgate could not reach the workflow service, so nothing changed. Please try again in a moment.';

export function registerApprovalHandlers(app: App, deps: ApprovalHandlerDeps): void {
  const { gateway, logger } = deps;

  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: APPROVE_ACTION_ID }, async ({ ack, body, action, client }) => {
    await ack();
    const userId = body.user.id;
    const tell = replier(client, logger, { channel: clickChannel(body), user: userId, threadTs: body.message?.thread_ts });
    const operationId = action.value ?? '';
    try {
      const checked = await check(deps, operationId, userId, 'approve');
      if (!checked.ok) return await tell(checked.reason);
      const outcome = await gateway.decide({ operationId, identity: checked.approver.identifier, slackUserId: userId, channel: 'slack', decision: 'approve' });
      logger.info({ operationId, approver: checked.approver.identifier, counted: outcome.ok }, 'approval sent to workflow');
      await tell(outcome.ok
        ? `:white_check_mark: Your approval of ${code(operationId)} counted (${outcome.result.approvals.have} of ${outcome.result.approvals.need}).`
        : `Your approval of ${code(operationId)} did not count: ${outcome.reason}`);
    } catch (error) {
      logger.error({ operationId, err: (error as Error).message }, 'could not handle Approve click');
      await tell(UNAVAILABLE);
    }
  });

  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: REJECT_ACTION_ID }, async ({ ack, body, action, client }) => {
    await ack();
    const userId = body.user.id;
    const channel = clickChannel(body);
    const tell = replier(client, logger, { channel, user: userId, threadTs: body.message?.thread_ts });
    const operationId = action.value ?? '';
    try {
      const checked = await check(deps, operationId, userId, 'reject');
      if (!checked.ok) return await tell(checked.reason);
      const messageTs = body.message?.ts ?? (body.container?.message_ts as string | undefined);
      await client.views.open({ trigger_id: body.trigger_id, view: rejectReasonModal(operationId, channel, messageTs) });
    } catch (error) {
      logger.error({ operationId, err: (error as Error).message }, 'could not handle Reject click');
      await tell(UNAVAILABLE);
    }
  });

  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: GRANT_ACTION_ID }, async ({ ack, body, action, client }) => {
    await ack();
    const userId = body.user.id;
    const channel = clickChannel(body);
    const tell = replier(client, logger, { channel, user: userId, threadTs: body.message?.thread_ts });
    const operationId = action.value ?? '';
    try {
      const checked = await check(deps, operationId, userId, 'approve');
      if (!checked.ok) return await tell(checked.reason);
      const input = approvalMessageInput(checked.view!, deps.temporal);
      const offer = input && offeredGrant(input);
      if (!input || !offer) return await tell(`${code(operationId)} does not offer standing grants; use Approve.`);
      await client.views.open({ trigger_id: body.trigger_id, view: grantModal(input, offer, channel) });
    } catch (error) {
      logger.error({ operationId, err: (error as Error).message }, 'could not handle Approve-for click');
      await tell(UNAVAILABLE);
    }
  });

  app.view<ViewSubmitAction>({ type: 'view_submission', callback_id: GRANT_MODAL_CALLBACK_ID }, async ({ ack, body, view, client }) => {
    const values = view.state.values;
    const field = (block: string) => values[block]?.[GRANT_FIELD_ACTION_ID]?.value?.trim() ?? '';
    const uses = Number(field(GRANT_USES_BLOCK_ID));
    // Slack shows these errors beside the fields, so nobody waits to learn a typo.
    const errors: Record<string, string> = {};
    if (!isDuration(field(GRANT_TTL_BLOCK_ID))) errors[GRANT_TTL_BLOCK_ID] = 'Use a duration such as 30m or 1h.';
    if (!field(GRANT_SCOPE_BLOCK_ID)) errors[GRANT_SCOPE_BLOCK_ID] = 'Name the resources, e.g. the exact resource.';
    if (!Number.isInteger(uses) || uses < 1) errors[GRANT_USES_BLOCK_ID] = 'A whole number, 1 or more.';
    if (Object.keys(errors).length) return void (await ack({ response_action: 'errors', errors }));
    await ack();
    const userId = body.user.id;
    const metadata = readGrantModalMetadata(view.private_metadata);
    if (!metadata) {
      logger.warn({ user: userId }, 'grant modal submitted without valid private_metadata; ignored');
      return;
    }
    const { operationId } = metadata;
    const tell = replier(client, logger, { channel: metadata.channel, user: userId });
    try {
      const checked = await check(deps, operationId, userId, 'approve');
      if (!checked.ok) return await tell(checked.reason);
      const grant = { ttl: field(GRANT_TTL_BLOCK_ID), scope: field(GRANT_SCOPE_BLOCK_ID), uses };
      const outcome = await gateway.decide({ operationId, identity: checked.approver.identifier, slackUserId: userId, channel: 'slack', decision: 'approve', grant });
      logger.info({ operationId, approver: checked.approver.identifier, counted: outcome.ok }, 'approval with grant sent to workflow');
      await tell(outcome.ok
        ? `:white_check_mark: Your approval of ${code(operationId)} counted${outcome.result.grant ? `, and grant ${code(outcome.result.grant.id)} covers ${code(outcome.result.grant.scope)} until ${outcome.result.grant.expiresAt}` : ''}.`
        : `Your approval of ${code(operationId)} did not count: ${outcome.reason}`);
    } catch (error) {
      logger.error({ operationId, err: (error as Error).message }, 'could not handle grant submission');
      await tell(UNAVAILABLE);
    }
  });

  app.view<ViewSubmitAction>({ type: 'view_submission', callback_id: REJECT_MODAL_CALLBACK_ID }, async ({ ack, body, view, client }) => {
    await ack();
    const userId = body.user.id;
    const metadata = readRejectModalMetadata(view.private_metadata);
    if (!metadata) {
      logger.warn({ user: userId }, 'reject modal submitted without valid private_metadata; ignored');
      return;
    }
    const { operationId } = metadata;
    const tell = replier(client, logger, { channel: metadata.channel, user: userId });
    try {
      // Re-check: the request may have been decided while the modal was open.
      const checked = await check(deps, operationId, userId, 'reject');
      if (!checked.ok) return await tell(checked.reason);
      const reason = view.state.values[REJECT_REASON_BLOCK_ID]?.[REJECT_REASON_ACTION_ID]?.value?.trim();
      const outcome = await gateway.decide({
        operationId, identity: checked.approver.identifier, slackUserId: userId, channel: 'slack', decision: 'reject',
        ...(reason ? { notes: reason.slice(0, REJECT_REASON_MAX) } : {}),
      });
      logger.info({ operationId, approver: checked.approver.identifier, counted: outcome.ok }, 'rejection sent to workflow');
      await tell(outcome.ok ? `:x: Your rejection of ${code(operationId)} was recorded.` : `Your rejection of ${code(operationId)} did not count: ${outcome.reason}`);
    } catch (error) {
      logger.error({ operationId, err: (error as Error).message }, 'could not handle reject submission');
      await tell(UNAVAILABLE);
    }
  });
}

async function check(deps: ApprovalHandlerDeps, operationId: string, slackUserId: string, decision: 'approve' | 'reject') {
  const approver = await deps.directory.bySlackUser(slackUserId);
  // Only approvers learn whether an operation exists, and a malformed id never reaches Temporal.
  const found = approver && OPERATION_ID.test(operationId) ? await deps.gateway.describe(operationId) : null;
  const checked: ClickPrecheck = precheckClick({ operationId, decision, approver, found });
  return { ...checked, view: found?.view };
}

function clickChannel(body: BlockAction): string | undefined {
  return body.channel?.id ?? (body.container?.channel_id as string | undefined);
}

/**
 * Answers only the person who clicked: ephemeral in the channel of the message, or a DM
 * from the app when there is no channel (App Home, a lost modal context).
 */
function replier(client: WebClient, logger: Logger, where: { channel?: string; user: string; threadTs?: string }) {
  return async (text: string): Promise<void> => {
    try {
      if (where.channel) {
        await client.chat.postEphemeral({ channel: where.channel, user: where.user, text, ...(where.threadTs ? { thread_ts: where.threadTs } : {}) });
      } else {
        await client.chat.postMessage({ channel: where.user, text });
      }
    } catch (error) {
      logger.warn({ user: where.user, err: (error as Error).message }, 'could not send Slack reply');
    }
  };
}
