/**
 * Slack text helpers. Everything a requester controls (action, resource, identifiers,
 * context) passes through `escape` so it cannot smuggle `<!channel>` pings or disguised
 * links into an approval message.
 */

/** Slack's documented Block Kit limits that the builders must respect. */
export const LIMITS = {
  sectionText: 3000,
  sectionField: 2000,
  sectionFields: 10,
  headerText: 150,
  contextText: 2000,
  contextElements: 10,
  buttonText: 75,
  buttonValue: 2000,
  modalTitle: 24,
  modalButton: 24,
  privateMetadata: 3000,
  plainTextInput: 3000,
  /** chat.postMessage accepts more, but Slack truncates notifications long before that. */
  fallbackText: 3000,
  blocksPerMessage: 50,
} as const;

const ELLIPSIS = '…';

/** Escape the three characters Slack treats as control sequences in mrkdwn and plain text. */
export function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cut `text` to at most `max` characters, ending with an ellipsis when it was cut. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  let cut = chars.slice(0, Math.max(0, max - 1)).join('');
  // Never leave half an escape sequence such as `&am` behind.
  cut = cut.replace(/&[a-z]{0,4}$/, '');
  return cut + ELLIPSIS;
}

/** Length in the characters Slack counts (code points). */
export function length(text: string): number {
  return Array.from(text).length;
}

/** An inline code span; backticks inside would end it early, so they become a look-alike. */
export function code(text: string): string {
  return `\`${escape(text).replace(/`/g, 'ˋ')}\``;
}

/** A fenced block that fits in `max` characters including the fences. */
export function codeBlock(text: string, max: number): string {
  const body = escape(text).replace(/```/g, 'ˋˋˋ');
  return '```' + truncate(body, Math.max(1, max - 6)) + '```';
}

export function bold(text: string): string {
  return `*${escape(text)}*`;
}

/** `<@U123>` for a Slack user; the identifier (as code) when the person has no Slack id. */
export function person(ref: { identifier: string; slackUserId?: string }): string {
  return ref.slackUserId && /^[UW][A-Z0-9]+$/.test(ref.slackUserId) ? `<@${ref.slackUserId}>` : code(ref.identifier);
}

export function mention(slackUserId: string): string {
  return /^[UW][A-Z0-9]+$/.test(slackUserId) ? `<@${slackUserId}>` : escape(slackUserId);
}

/** A date Slack renders in each reader's own time zone, with the ISO time as fallback. */
export function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escape(iso);
  const seconds = Math.floor(ms / 1000);
  const fallback = new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `<!date^${seconds}^{date_short_pretty} at {time}|${fallback}>`;
}

/** A mrkdwn link; `url` must be URL-encoded already (no `|` or `>`). */
export function link(url: string, label: string): string {
  return `<${url.replace(/[|>]/g, encodeURIComponent)}|${escape(label)}>`;
}

export function formatCost(cost: number): string {
  return cost.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}
