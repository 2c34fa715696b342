/**
 * Block Kit builders: pure functions from Tollgate data to Slack messages and views.
 * No I/O here, so every message can be snapshot-tested and rendered for the README.
 */
import type { types } from '@slack/bolt';
import { z } from 'zod';
import { redact } from '../redact.js';
import type {
  ApprovalMessageInput,
  ApprovalOutcome,
  ApprovalOutcomeKind,
  ApprovalProgress,
  ApproverRef,
  BudgetAlert,
  EscalationInput,
  MessageRef,
} from './types.js';
import { grantOffer, type GrantOffer } from '../approval/plan.js';
import { formatDuration } from '../duration.js';
import { LIMITS, bold, code, codeBlock, escape, formatCost, length, link, mention, person, slackDate, truncate } from './mrkdwn.js';

type KnownBlock = types.KnownBlock;

export const APPROVE_ACTION_ID = 'tollgate_approve';
export const REJECT_ACTION_ID = 'tollgate_reject';
export const GRANT_ACTION_ID = 'tollgate_approve_grant';
export const GRANT_MODAL_CALLBACK_ID = 'tollgate_grant_modal';
export const GRANT_TTL_BLOCK_ID = 'tollgate_grant_ttl';
export const GRANT_SCOPE_BLOCK_ID = 'tollgate_grant_scope';
export const GRANT_USES_BLOCK_ID = 'tollgate_grant_uses';
export const GRANT_FIELD_ACTION_ID = 'value';
/** What "Approve for …" offers at first: an hour, or less when the rule caps grants lower. */
const DEFAULT_GRANT_TTL_MS = 3_600_000;
export const DECISION_BLOCK_ID = 'tollgate_decision';
export const REJECT_MODAL_CALLBACK_ID = 'tollgate_reject_modal';
export const REJECT_REASON_BLOCK_ID = 'tollgate_reject_reason';
export const REJECT_REASON_ACTION_ID = 'reason';
/** Matches ApprovalDecisionSchema.notes, so a typed reason is never refused by the workflow. */
export const REJECT_REASON_MAX = 3000;

export interface BuiltMessage {
  /** Notification and screen-reader fallback. */
  text: string;
  blocks: KnownBlock[];
}

/** Upper bounds for requester-controlled strings before they are composed into one section. */
const PART = { action: 200, resource: 500, identifier: 200, rule: 200, description: 1500 } as const;

// ---------------------------------------------------------------------------------------
// Approval request and its later states
// ---------------------------------------------------------------------------------------

/** The message approvers see: what is asked, by whom, why, and the Approve/Reject buttons. */
export function approvalRequestMessage(input: ApprovalMessageInput): BuiltMessage {
  return {
    text: fallback('Approval needed', input),
    blocks: [
      header(`Approval needed: ${input.action}`),
      ...requestDetails(input),
      decisionButtons(input),
      footer(input),
    ],
  };
}

/** The same message after some, but not enough, approvals: progress shown, buttons kept. */
export function approvalProgressMessage(input: ApprovalMessageInput, progress: ApprovalProgress): BuiltMessage {
  const approvals = progress.votes.filter((vote) => vote.decision === 'approve');
  const count = `${approvals.length} of ${progress.required} approval${progress.required === 1 ? '' : 's'}`;
  const by = approvals.length ? ` — approved by ${people(approvals.map((vote) => vote.approver))}` : '';
  return {
    text: fallback(`Approval in progress (${count})`, input),
    blocks: [
      header(`Approval needed: ${input.action}`),
      ...requestDetails(input),
      section(`:hourglass_flowing_sand: *${count}*${by}`),
      ...(progress.escalated ? [section(escalatedLine(progress.escalatedTo))] : []),
      decisionButtons(input),
      footer(input),
    ],
  };
}

function escalatedLine(to: ApprovalProgress['escalatedTo']): string {
  const where = to?.channel ? ` to <#${to.channel}>` : '';
  const roles = to?.roles?.length ? `; ${to.roles.join(', ')} may now decide too` : '';
  return `:rotating_light: *Escalated*${where}: nobody decided in time${roles}.`;
}

const OUTCOME: Record<ApprovalOutcomeKind, { emoji: string; title: string; verb: string }> = {
  approved: { emoji: ':white_check_mark:', title: 'Approved', verb: 'Approved' },
  rejected: { emoji: ':x:', title: 'Rejected', verb: 'Rejected' },
  expired: { emoji: ':hourglass:', title: 'Expired', verb: 'Expired' },
  cancelled: { emoji: ':no_entry_sign:', title: 'Cancelled', verb: 'Cancelled' },
};

/** The final state: who decided, when, and their note. No buttons, so nobody clicks a closed request. */
export function approvalOutcomeMessage(input: ApprovalMessageInput, outcome: ApprovalOutcome): BuiltMessage {
  const style = OUTCOME[outcome.outcome];
  const deciders = toArray(outcome.decidedBy);
  const who = deciders.length ? ` by ${people(deciders)}` : '';
  const why = outcome.outcome === 'expired' && !deciders.length ? ' — no decision before the deadline' : '';
  const lines = [`${style.emoji} *${style.verb}*${who} ${slackDate(outcome.at)}${why}`];
  if (outcome.note?.trim()) lines.push(quote(outcome.note));
  const plainWho = deciders.length ? ` by ${deciders.map((d) => d.identifier).join(', ')}` : '';
  return {
    text: truncate(escape(`${style.title}${plainWho}: ${input.subject.identifier} wants to ${input.action} on ${input.resource} (${input.operationId})`), LIMITS.fallbackText),
    blocks: [
      header(`${style.title}: ${input.action}`),
      ...requestDetails(input, { compact: true }),
      section(lines.join('\n')),
      footer(input),
    ],
  };
}

/**
 * Posted to the escalation channel when nobody decided in time. It carries the buttons too,
 * because the people it pings are the ones expected to act.
 */
export function escalationNotice(input: EscalationInput, original?: MessageRef): BuiltMessage {
  const mentions = (input.escalateTo?.mentions ?? []).map(mention).join(' ');
  const since = input.requestedAt ? ` since ${slackDate(input.requestedAt)}` : '';
  const where = original && original.channel !== 'console' ? ` in <#${escape(original.channel)}>` : '';
  const lead = `:rotating_light: ${mentions ? `${mentions} ` : ''}this request has been waiting for a decision${where}${since}. It expires ${slackDate(input.deadline)}.`;
  return {
    text: fallback('Escalated approval', input),
    blocks: [
      header(`Escalated: approval needed for ${input.action}`),
      section(lead),
      ...requestDetails(input),
      decisionButtons(input),
      footer(input),
    ],
  };
}

/** A threaded nudge to the approvers who have not acted yet. */
export function reminderText(mentions: readonly string[], options: { deadline?: string } = {}): string {
  const who = mentions.length ? `${mentions.map(mention).join(' ')} ` : '';
  const until = options.deadline ? ` It expires ${slackDate(options.deadline)}.` : '';
  return truncate(`:bell: ${who}Reminder: this request is still waiting for approval.${until}`, LIMITS.fallbackText);
}

// ---------------------------------------------------------------------------------------
// Reject modal
// ---------------------------------------------------------------------------------------

const RejectModalMetadataSchema = z.object({
  operationId: z.string().min(1),
  channel: z.string().optional(),
  ts: z.string().optional(),
}).strict();
export type RejectModalMetadata = z.infer<typeof RejectModalMetadataSchema>;

/**
 * The "why are you rejecting?" dialog. The reason is optional; the operation and the
 * message it came from travel in private_metadata so the submission handler can answer
 * in the same channel.
 */
export function rejectReasonModal(operationId: string, channel?: string, ts?: string): types.ModalView {
  const metadata: RejectModalMetadata = { operationId, ...(channel ? { channel } : {}), ...(ts ? { ts } : {}) };
  return modal(REJECT_MODAL_CALLBACK_ID, metadata, 'Reject request', 'Reject', [
    section(`You are rejecting operation ${code(operationId)}. The requester and the audit trail will see your reason.`),
    {
      type: 'input',
      block_id: REJECT_REASON_BLOCK_ID,
      optional: true,
      label: { type: 'plain_text', text: 'Reason' },
      element: {
        type: 'plain_text_input',
        action_id: REJECT_REASON_ACTION_ID,
        multiline: true,
        max_length: REJECT_REASON_MAX,
        placeholder: { type: 'plain_text', text: 'Why should this not go ahead?' },
      },
    },
  ]);
}

/** A modal of ours: what it is for (callback id) and where it came from travel in private_metadata. */
function modal(callbackId: string, metadata: object, title: string, submit: string, blocks: types.ModalView['blocks']): types.ModalView {
  return {
    type: 'modal',
    callback_id: callbackId,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: title },
    submit: { type: 'plain_text', text: submit },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks,
  };
}

/** A modal's private_metadata, or null when it is not ours or was tampered with. */
function readModalMetadata<T>(schema: z.ZodType<T>, privateMetadata: string | undefined): T | null {
  if (!privateMetadata) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(privateMetadata));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export const readRejectModalMetadata = (privateMetadata: string | undefined): RejectModalMetadata | null =>
  readModalMetadata(RejectModalMetadataSchema, privateMetadata);

// ---------------------------------------------------------------------------------------
// Budget alert
// ---------------------------------------------------------------------------------------

export function budgetAlertMessage(alert: BudgetAlert): BuiltMessage {
  const percent = Math.round(alert.threshold * 100);
  const used = alert.limit > 0 ? Math.round((alert.spent / alert.limit) * 100) : 100;
  const owner = alert.level === 'org' ? `The org budget ${code(alert.entity)}` : `${alert.level === 'team' ? 'Team' : 'User'} ${code(alert.entity)}`;
  const line = `:warning: *Budget alert*: ${owner} crossed *${percent}%* of its budget for ${code(alert.period)}: ${formatCost(alert.spent)} of ${formatCost(alert.limit)} spent (${used}%).`;
  return {
    text: truncate(escape(`Budget alert: ${alert.level} ${alert.entity} crossed ${percent}% of its ${alert.period} budget (${formatCost(alert.spent)} of ${formatCost(alert.limit)})`), LIMITS.fallbackText),
    blocks: [
      section(line),
      context([`Run ${code(`tollgate budget status${alert.level === 'org' ? '' : ` --${alert.level} ${alert.entity}`}`)} for details.`]),
    ],
  };
}

// ---------------------------------------------------------------------------------------
// Pieces
// ---------------------------------------------------------------------------------------

/** The Temporal Web UI page of the operation's workflow. */
export function temporalWorkflowUrl(temporal: { uiUrl: string; namespace: string }, operationId: string): string {
  const base = temporal.uiUrl.replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(temporal.namespace)}/workflows/${encodeURIComponent(operationId)}`;
}

function requestDetails(input: ApprovalMessageInput, options: { compact?: boolean } = {}): KnownBlock[] {
  const subject = input.subject;
  const summary = `${code(truncate(subject.identifier, PART.identifier))} wants to ${bold(truncate(input.action, PART.action))} on ${code(truncate(input.resource, PART.resource))}`;
  const blocks: KnownBlock[] = [section(summary)];

  const fields: string[] = [];
  fields.push(`*Requester*\n${code(truncate(subject.identifier, PART.identifier))}`);
  fields.push(`*Roles*\n${subject.roles?.length ? subject.roles.map((role) => code(role)).join(', ') : '_none_'}`);
  const tenant = subject.tags?.tenant_id;
  if (tenant) fields.push(`*Tenant*\n${code(tenant)}`);
  const team = subject.attributes?.team_id;
  if (typeof team === 'string' && team) fields.push(`*Team*\n${code(team)}`);
  fields.push(`*Rule*\n${input.rule.name ? code(truncate(input.rule.name, PART.rule)) : '_default effect_'}`);
  if (input.estimatedCost !== undefined) fields.push(`*Estimated cost*\n${formatCost(input.estimatedCost)}`);
  if (!options.compact) {
    fields.push(`*Deadline*\n${slackDate(input.deadline)}`);
    fields.push(`*Quorum*\nneeds ${input.requiredApprovals} approval${input.requiredApprovals === 1 ? '' : 's'}`);
  }
  blocks.push({
    type: 'section',
    fields: fields.slice(0, LIMITS.sectionFields).map((text) => ({ type: 'mrkdwn' as const, text: truncate(text, LIMITS.sectionField) })),
  });

  if (!options.compact && input.rule.description) {
    blocks.push(section(`*Why approval is needed*\n${escape(truncate(input.rule.description, PART.description))}`));
  }
  if (!options.compact && input.context && Object.keys(input.context).length) {
    const heading = '*Context*\n';
    const json = JSON.stringify(redact(input.context), null, 2) ?? '{}';
    blocks.push(section(heading + codeBlock(json, LIMITS.sectionText - length(heading))));
  }
  return blocks;
}

/** The rule's grant offer, if it makes one; a malformed offer shows no button (the workflow refuses it anyway). */
export function offeredGrant(input: Pick<ApprovalMessageInput, 'rule' | 'requiredApprovals'>): GrantOffer | null {
  if (input.requiredApprovals > 1) return null;
  try {
    return grantOffer(input.rule.name, input.rule.metadata ?? {});
  } catch {
    return null;
  }
}

const defaultGrantTtl = (offer: GrantOffer) => formatDuration(Math.min(DEFAULT_GRANT_TTL_MS, offer.maxTtlMs));

function decisionButtons(input: ApprovalMessageInput): types.ActionsBlock {
  const { operationId } = input;
  const offer = offeredGrant(input);
  return {
    type: 'actions',
    block_id: DECISION_BLOCK_ID,
    elements: [
      { type: 'button', action_id: APPROVE_ACTION_ID, style: 'primary', value: operationId, text: { type: 'plain_text', text: 'Approve', emoji: true } },
      ...(offer ? [{ type: 'button' as const, action_id: GRANT_ACTION_ID, value: operationId, text: { type: 'plain_text' as const, text: `Approve for ${defaultGrantTtl(offer)}`, emoji: true } }] : []),
      { type: 'button', action_id: REJECT_ACTION_ID, style: 'danger', value: operationId, text: { type: 'plain_text', text: 'Reject', emoji: true } },
    ],
  };
}

const GrantModalMetadataSchema = z.object({
  operationId: z.string().min(1),
  channel: z.string().optional(),
}).strict();
export type GrantModalMetadata = z.infer<typeof GrantModalMetadataSchema>;

/**
 * "Approve, and allow the same for a while": how long, which resources, how many uses. The
 * defaults are the exact resource and the rule's caps; the workflow checks the caps again.
 */
export function grantModal(input: Pick<ApprovalMessageInput, 'operationId' | 'resource' | 'subject' | 'action'>, offer: GrantOffer, channel?: string): types.ModalView {
  const metadata: GrantModalMetadata = { operationId: input.operationId, ...(channel ? { channel } : {}) };
  const field = (block_id: string, label: string, initial: string, hint: string): types.InputBlock => ({
    type: 'input',
    block_id,
    label: { type: 'plain_text', text: label },
    hint: { type: 'plain_text', text: hint },
    element: { type: 'plain_text_input', action_id: GRANT_FIELD_ACTION_ID, initial_value: initial },
  });
  return modal(GRANT_MODAL_CALLBACK_ID, metadata, 'Approve and grant', 'Approve', [
    section(`You are approving ${code(input.operationId)} and letting ${bold(escape(truncate(input.subject.identifier, PART.identifier)))} do ${code(truncate(input.action, PART.action))} again without asking, within the limits below. You can revoke it with \`tollgate grants revoke\`.`),
    field(GRANT_TTL_BLOCK_ID, 'For how long', defaultGrantTtl(offer), `At most ${formatDuration(offer.maxTtlMs)}, e.g. 30m or 1h.`),
    field(GRANT_SCOPE_BLOCK_ID, 'Resources (a glob)', truncate(input.resource, PART.resource), 'The exact resource by default; * matches any run of characters.'),
    field(GRANT_USES_BLOCK_ID, 'How many operations', String(offer.maxUses), `At most ${offer.maxUses}.`),
  ]);
}
export const readGrantModalMetadata = (privateMetadata: string | undefined): GrantModalMetadata | null =>
  readModalMetadata(GrantModalMetadataSchema, privateMetadata);

function footer(input: ApprovalMessageInput): types.ContextBlock {
  const parts = [
    `Operation ${code(input.operationId)}`,
    link(temporalWorkflowUrl(input.temporal, input.operationId), 'Open in Temporal UI'),
  ];
  if (input.policy) parts.push(`Policy ${code(`${input.policy.set}@${input.policy.version}`)}`);
  return context([parts.join('  ·  ')]);
}

function fallback(lead: string, input: ApprovalMessageInput): string {
  return truncate(escape(`${lead}: ${input.subject.identifier} wants to ${input.action} on ${input.resource} (${input.operationId})`), LIMITS.fallbackText);
}

function header(text: string): types.HeaderBlock {
  return { type: 'header', text: { type: 'plain_text', text: truncate(text, LIMITS.headerText), emoji: true } };
}

function section(text: string): types.SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) } };
}

function context(texts: string[]): types.ContextBlock {
  return {
    type: 'context',
    elements: texts.slice(0, LIMITS.contextElements).map((text) => ({ type: 'mrkdwn' as const, text: truncate(text, LIMITS.contextText) })),
  };
}

function quote(text: string): string {
  return escape(truncate(text.trim(), LIMITS.sectionText - 200)).split('\n').map((line) => `>${line}`).join('\n');
}

function people(refs: readonly ApproverRef[]): string {
  return refs.map(person).join(', ');
}

function toArray<T>(value: T | readonly T[] | undefined): readonly T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value as T];
}
