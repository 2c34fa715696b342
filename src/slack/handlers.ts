/**
 * The Approve / Reject listeners. Each one acknowledges first (Slack allows three seconds),
 * then checks the click, then hands it to the decision service, which signs it and sends the
 * `decide` Update. The workflow updates the approval message itself, through the notifier, once
 * it has counted the vote; the clicker learns at once whether it counted and why not.
 */
import type { App, BlockAction, ButtonAction, ViewSubmitAction, types } from '@slack/bolt';
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
import type { ApprovalGateway, ApproverDirectory, SlackDecision } from './types.js';
import type { DecideResult } from '../operation/schema.js';
import type { OperationStatusView } from '../operation/types.js';

export interface ApprovalHandlerDeps {
  gateway: ApprovalGateway;
  directory: ApproverDirectory;
  logger: Logger;
  /** For the grant modal's view of the request. */
  temporal: { uiUrl: string; namespace: string };
}

const UNAVAILABLE = 'Tollgate could not reach the workflow service, so nothing changed. Please try again in a moment.';

type Tell = (text: string) => Promise<void>;

interface Decision {
  operationId: string;
  userId: string;
  decision: 'approve' | 'reject';
  notes?: string;
  grant?: SlackDecision['grant'];
}

export function registerApprovalHandlers(app: App, deps: ApprovalHandlerDeps): void {
  const { logger } = deps;

  /** Check the click again (things change while a modal is open), hand it on, say what came of it. */
  const decide = async (request: Decision, tell: Tell): Promise<void> => {
    const { operationId } = request;
    try {
      const checked = await check(deps, operationId, request.userId, request.decision);
      if (!checked.ok) return await tell(checked.reason);
      const outcome = await deps.gateway.decide({
        operationId, identity: checked.approver.identifier, slackUserId: request.userId, channel: 'slack', decision: request.decision,
        ...(request.notes ? { notes: request.notes } : {}), ...(request.grant ? { grant: request.grant } : {}),
      });
      logger.info({ operationId, approver: checked.approver.identifier, decision: request.decision, counted: outcome.ok }, 'decision sent to workflow');
      await tell(outcome.ok ? counted(request, outcome.result) : `Your ${request.decision === 'approve' ? 'approval' : 'rejection'} of ${code(operationId)} did not count: ${outcome.reason}`);
    } catch (error) {
      logger.error({ operationId, err: (error as Error).message }, `could not handle a Slack ${request.decision}`);
      await tell(UNAVAILABLE);
    }
  };

  /** A button that asks for more first (a reason, a grant's terms): check it, then open its modal. */
  const openModal = (actionId: string, modal: (view: OperationStatusView, operationId: string, channel: string | undefined, messageTs: string | undefined) => types.ModalView | string) => {
    app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: actionId }, async ({ ack, body, action, client }) => {
      await ack();
      const channel = clickChannel(body);
      const tell = replier(client, logger, { channel, user: body.user.id, threadTs: body.message?.thread_ts });
      const operationId = action.value ?? '';
      try {
        const checked = await check(deps, operationId, body.user.id, actionId === REJECT_ACTION_ID ? 'reject' : 'approve');
        if (!checked.ok) return await tell(checked.reason);
        const view = modal(checked.view!, operationId, channel, body.message?.ts ?? (body.container?.message_ts as string | undefined));
        if (typeof view === 'string') return await tell(view);
        await client.views.open({ trigger_id: body.trigger_id, view });
      } catch (error) {
        logger.error({ operationId, err: (error as Error).message }, `could not handle a Slack ${actionId} click`);
        await tell(UNAVAILABLE);
      }
    });
  };

  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: APPROVE_ACTION_ID }, async ({ ack, body, action, client }) => {
    await ack();
    const tell = replier(client, logger, { channel: clickChannel(body), user: body.user.id, threadTs: body.message?.thread_ts });
    await decide({ operationId: action.value ?? '', userId: body.user.id, decision: 'approve' }, tell);
  });

  openModal(REJECT_ACTION_ID, (_view, operationId, channel, messageTs) => rejectReasonModal(operationId, channel, messageTs));

  openModal(GRANT_ACTION_ID, (view, operationId, channel) => {
    const input = approvalMessageInput(view, deps.temporal);
    const offer = input && offeredGrant(input);
    return input && offer ? grantModal(input, offer, channel) : `${code(operationId)} does not offer standing grants; use Approve.`;
  });

  app.view<ViewSubmitAction>({ type: 'view_submission', callback_id: REJECT_MODAL_CALLBACK_ID }, async ({ ack, body, view, client }) => {
    await ack();
    const metadata = readRejectModalMetadata(view.private_metadata);
    if (!metadata) return void logger.warn({ user: body.user.id }, 'reject modal submitted without valid private_metadata; ignored');
    const reason = view.state.values[REJECT_REASON_BLOCK_ID]?.[REJECT_REASON_ACTION_ID]?.value?.trim();
    await decide(
      { operationId: metadata.operationId, userId: body.user.id, decision: 'reject', ...(reason ? { notes: reason.slice(0, REJECT_REASON_MAX) } : {}) },
      replier(client, logger, { channel: metadata.channel, user: body.user.id }),
    );
  });

  app.view<ViewSubmitAction>({ type: 'view_submission', callback_id: GRANT_MODAL_CALLBACK_ID }, async ({ ack, body, view, client }) => {
    const field = (block: string) => view.state.values[block]?.[GRANT_FIELD_ACTION_ID]?.value?.trim() ?? '';
    const uses = Number(field(GRANT_USES_BLOCK_ID));
    // Slack shows these errors beside the fields, so nobody waits to learn a typo.
    const errors: Record<string, string> = {};
    if (!isDuration(field(GRANT_TTL_BLOCK_ID))) errors[GRANT_TTL_BLOCK_ID] = 'Use a duration such as 30m or 1h.';
    if (!field(GRANT_SCOPE_BLOCK_ID)) errors[GRANT_SCOPE_BLOCK_ID] = 'Name the resources, e.g. the exact resource.';
    if (!Number.isInteger(uses) || uses < 1) errors[GRANT_USES_BLOCK_ID] = 'A whole number, 1 or more.';
    if (Object.keys(errors).length) return void (await ack({ response_action: 'errors', errors }));
    await ack();
    const metadata = readGrantModalMetadata(view.private_metadata);
    if (!metadata) return void logger.warn({ user: body.user.id }, 'grant modal submitted without valid private_metadata; ignored');
    await decide(
      { operationId: metadata.operationId, userId: body.user.id, decision: 'approve', grant: { ttl: field(GRANT_TTL_BLOCK_ID), scope: field(GRANT_SCOPE_BLOCK_ID), uses } },
      replier(client, logger, { channel: metadata.channel, user: body.user.id }),
    );
  });
}

/** What the clicker is told when the vote counted. */
function counted(request: Decision, result: DecideResult): string {
  const op = code(request.operationId);
  if (request.decision === 'reject') return `:x: Your rejection of ${op} was recorded.`;
  const grant = result.grant ? `, and grant ${code(result.grant.id)} covers ${code(result.grant.scope)} until ${result.grant.expiresAt}` : '';
  return `:white_check_mark: Your approval of ${op} counted (${result.approvals.have} of ${result.approvals.need})${grant}.`;
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
