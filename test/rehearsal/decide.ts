/**
 * How a person decides in the rehearsal: a signed Slack click sent to the Slack receiver process,
 * as Slack would send it. It is the one place that knows how a decision is made, so switching the
 * rehearsal to another decision path (the `decide` Update through the service's decision API)
 * means changing this file only.
 */
import type { GovernanceClient } from '../../src/client/GovernanceClient.js';
import type { OperationStatusView } from '../../src/operation/types.js';
import type { FakeSlack } from '../support/fakeSlack.js';
import { blockActionsPayload, postSigned, viewSubmissionPayload } from '../support/slackSigning.js';

export interface DecisionPath {
  client: GovernanceClient;
  fake: FakeSlack;
  /** The receiver's /slack/events URL. */
  slackEvents: string;
  signingSecret: string;
  channel: string;
}

const WAIT_FOR_APPROVAL_MS = 120_000;
// Generous: on a loaded two-core machine a click's round trip (receiver → Temporal → worker) can take seconds.
const WAIT_FOR_COUNT_MS = 30_000;
const CLICKS = 3;

/**
 * `approver` (a Slack user in config.approvers) approves or rejects `operationId` once it is
 * awaiting approval, and this resolves when the workflow has taken the decision. A click the
 * receiver could not pass on (it answers Slack at once and works afterwards, so a Temporal hiccup
 * shows only as an ephemeral "try again") is clicked again, as a person would.
 */
export async function decide(path: DecisionPath, operationId: string, decision: 'approve' | 'reject', approver = 'UALICE'): Promise<void> {
  const waiting = await until(path, operationId, (view) => view.status === 'awaiting_approval', WAIT_FOR_APPROVAL_MS, 'awaiting approval');
  // Counted once the workflow has recorded a vote (or refused one) or moved on; the status itself
  // stays awaiting_approval until the compensation after a rejection has run.
  const seen = (view: OperationStatusView) => (view.approval?.votes.length ?? 0) + (view.approval?.refused.length ?? 0);
  const before = seen(waiting);
  for (let click = 1; ; click++) {
    const clickedAt = Date.now();
    try {
      await clickOnce(path, operationId, decision, approver, clickedAt);
      await until(path, operationId, (view) => view.status !== 'awaiting_approval' || seen(view) > before, WAIT_FOR_COUNT_MS, `the ${decision} to count`);
      return;
    } catch (error) {
      if (error instanceof ClickRefusedError || click >= CLICKS) {
        const replies = path.fake.calls('chat.postEphemeral').filter((call) => call.at >= clickedAt && call.body.user === approver).map((call) => call.body.text);
        throw new Error(`${(error as Error).message} (click ${click} of ${CLICKS}; ephemeral replies to ${approver} since: ${JSON.stringify(replies.slice(0, 5))})`);
      }
    }
  }
}

/** Slack's request itself was refused (signature, payload): clicking again cannot help. */
class ClickRefusedError extends Error {}

async function clickOnce(path: DecisionPath, operationId: string, decision: 'approve' | 'reject', approver: string, clickedAt: number): Promise<void> {
  const signed = { secret: path.signingSecret };
  const click = await postSigned(path.slackEvents, blockActionsPayload({
    actionId: decision === 'approve' ? 'tollgate_approve' : 'tollgate_reject', value: operationId, userId: approver, channel: path.channel,
  }), signed);
  if (click.status !== 200) throw new ClickRefusedError(`the Slack receiver refused the ${decision} click on ${operationId}: HTTP ${click.status} ${click.text}`);
  if (decision === 'approve') return;
  // Reject asks for a reason in a modal first; submit the modal the receiver opened.
  const opened = await path.fake.waitFor('views.open', (call) => call.at >= clickedAt && String(call.body.view?.private_metadata ?? '').includes(operationId), WAIT_FOR_COUNT_MS);
  const submitted = await postSigned(path.slackEvents, viewSubmissionPayload({
    userId: approver, privateMetadata: opened.body.view.private_metadata, reason: 'rehearsal: rejected on purpose',
  }), signed);
  if (submitted.status !== 200) throw new ClickRefusedError(`the Slack receiver refused the reject modal for ${operationId}: HTTP ${submitted.status} ${submitted.text}`);
}

async function until(path: DecisionPath, operationId: string, done: (view: OperationStatusView) => boolean, timeoutMs: number, what: string): Promise<OperationStatusView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A status query can fail for a moment while the workflow's worker is being replaced.
    const view = await path.client.status(operationId).catch(() => undefined);
    if (view && done(view)) return view;
    if (Date.now() > deadline) throw new Error(`${operationId}: timed out after ${timeoutMs / 1000}s waiting for ${what} (status: ${view?.status ?? 'unknown'})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
