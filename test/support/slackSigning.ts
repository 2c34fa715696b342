/**
 * Requests as Slack sends them to an app's Request URL: interaction payloads form-encoded
 * as `payload=<json>`, signed with the v0 scheme (HMAC-SHA256 of `v0:<ts>:<body>` keyed by
 * the signing secret).
 */
import { createHmac } from 'node:crypto';

export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

export function signature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** Form-encode an interaction payload the way Slack does. */
export function formBody(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export function signedRequest(payload: unknown, options: { secret: string; timestamp?: number }): SignedRequest {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const body = formBody(payload);
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signature(options.secret, timestamp, body),
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    },
  };
}

export interface PostResult {
  status: number;
  text: string;
}

/** Send a prepared request (also used to replay one byte for byte). */
export async function send(url: string, request: SignedRequest): Promise<PostResult> {
  const response = await fetch(url, { method: 'POST', headers: request.headers, body: request.body });
  return { status: response.status, text: await response.text() };
}

export async function postSigned(url: string, payload: unknown, options: { secret: string; timestamp?: number }): Promise<PostResult> {
  return send(url, signedRequest(payload, options));
}

// ---------------------------------------------------------------------------------------
// Payloads
// ---------------------------------------------------------------------------------------

export const TEAM = { id: 'T0TOLLGATE', domain: 'tollgate-test' } as const;

let triggerSequence = 0;
function triggerId(): string {
  triggerSequence += 1;
  return `${Date.now()}.${triggerSequence}.a1b2c3d4e5f6`;
}

export interface BlockActionOptions {
  actionId: 'tollgate_approve' | 'tollgate_reject' | string;
  value: string;
  userId: string;
  channel?: string;
  messageTs?: string;
}

/** A `block_actions` payload for a button click on a channel message. */
export function blockActionsPayload(options: BlockActionOptions): Record<string, unknown> {
  const channel = options.channel ?? 'C0APPROVALS';
  const messageTs = options.messageTs ?? '1700000000.000100';
  const isApprove = options.actionId === 'tollgate_approve';
  return {
    type: 'block_actions',
    user: { id: options.userId, username: options.userId.toLowerCase(), name: options.userId.toLowerCase(), team_id: TEAM.id },
    api_app_id: 'A0TOLLGATE',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: messageTs, channel_id: channel, is_ephemeral: false },
    trigger_id: triggerId(),
    team: TEAM,
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channel, name: 'approvals' },
    message: { type: 'message', user: 'UBOT0001', bot_id: 'BBOT0001', ts: messageTs, text: 'Approval needed', blocks: [] },
    state: { values: {} },
    response_url: `https://hooks.slack.com/actions/${TEAM.id}/1/abc`,
    actions: [
      {
        action_id: options.actionId,
        block_id: 'tollgate_decision',
        text: { type: 'plain_text', text: isApprove ? 'Approve' : 'Reject', emoji: true },
        value: options.value,
        style: isApprove ? 'primary' : 'danger',
        type: 'button',
        action_ts: `${Math.floor(Date.now() / 1000)}.000200`,
      },
    ],
  };
}

export interface ViewSubmissionOptions {
  userId: string;
  privateMetadata: string;
  reason?: string;
  callbackId?: string;
  /** The modal's input values, block id → action id → value (default: the reject reason). */
  values?: Record<string, Record<string, string>>;
}

/** A `view_submission` payload for the reject-reason modal. */
export function viewSubmissionPayload(options: ViewSubmissionOptions): Record<string, unknown> {
  return {
    type: 'view_submission',
    team: TEAM,
    user: { id: options.userId, username: options.userId.toLowerCase(), name: options.userId.toLowerCase(), team_id: TEAM.id },
    api_app_id: 'A0TOLLGATE',
    token: 'legacy-verification-token',
    trigger_id: triggerId(),
    view: {
      id: 'V0REJECT1',
      team_id: TEAM.id,
      type: 'modal',
      callback_id: options.callbackId ?? 'tollgate_reject_modal',
      private_metadata: options.privateMetadata,
      title: { type: 'plain_text', text: 'Reject request' },
      submit: { type: 'plain_text', text: 'Reject' },
      close: { type: 'plain_text', text: 'Cancel' },
      blocks: [],
      state: {
        values: options.values
          ? Object.fromEntries(Object.entries(options.values).map(([block, fields]) => [block, Object.fromEntries(Object.entries(fields).map(([action, value]) => [action, { type: 'plain_text_input', value }]))]))
          : { tollgate_reject_reason: { reason: { type: 'plain_text_input', value: options.reason ?? null } } },
      },
      hash: '1700000000.abcdef',
      clear_on_close: false,
      notify_on_close: false,
      root_view_id: 'V0REJECT1',
      previous_view_id: null,
      app_id: 'A0TOLLGATE',
      bot_id: 'BBOT0001',
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}
