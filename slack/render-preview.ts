/**
 * Renders the approval messages, from the same Block Kit builders the service uses, into
 * slack/preview.html: a static mock of how they look in Slack, for the README and reviews.
 *
 *   npx tsx slack/render-preview.ts
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  approvalOutcomeMessage,
  approvalProgressMessage,
  approvalRequestMessage,
  budgetAlertMessage,
  rejectReasonModal,
} from '../src/slack/blocks.js';
import type { ApprovalMessageInput } from '../src/slack/types.js';

type Json = Record<string, any>;

const input: ApprovalMessageInput = {
  operationId: 'export-q3-sales-7f3a',
  subject: { identifier: 'agent-7', roles: ['analyst', 'agent'], tags: { tenant_id: 'acme' }, attributes: { team_id: 'team-data' } },
  action: 'data.export',
  resource: 'dataset://production/sales',
  rule: { name: 'prod-export-needs-approval', description: 'Exports of production data leave our control; a manager must approve them.' },
  policy: { set: 'enterprise', version: '9c41e2d0' },
  estimatedCost: 12.5,
  context: { rows: 120000, destination: 's3://acme-exports/q3', headers: { Authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.secret' } },
  deadline: '2025-11-25T17:00:00Z',
  requestedAt: '2025-11-24T17:00:00Z',
  requiredApprovals: 2,
  temporal: { uiUrl: 'http://localhost:8233', namespace: 'default' },
};

const EMOJI: Record<string, string> = {
  ':white_check_mark:': '✅', ':x:': '❌', ':hourglass:': '⌛', ':hourglass_flowing_sand:': '⏳',
  ':no_entry_sign:': '🚫', ':rotating_light:': '🚨', ':bell:': '🔔', ':warning:': '⚠️',
};

/** Slack mrkdwn (already &-escaped by the builders) to HTML. */
function mrkdwn(text: string): string {
  const parts = text.split(/(```[\s\S]*?```|`[^`]*`)/g);
  return parts.map((part) => {
    if (part.startsWith('```')) return `<pre>${part.slice(3, -3)}</pre>`;
    if (part.startsWith('`') && part.endsWith('`') && part.length > 1) return `<code>${part.slice(1, -1)}</code>`;
    return part
      .replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, '<span class="date">$1</span>')
      .replace(/<@([A-Z0-9]+)>/g, '<span class="mention">@$1</span>')
      .replace(/<#([A-Z0-9]+)>/g, '<span class="mention">#$1</span>')
      .replace(/<([^|>]+)\|([^>]+)>/g, '<a href="$1">$2</a>')
      .replace(/(^|\n)>([^\n]*)/g, '$1<blockquote>$2</blockquote>')
      .replace(/\*([^*\n]+)\*/g, '<b>$1</b>')
      .replace(/(^|[\s(])_([^_\n]+)_/g, '$1<i>$2</i>')
      .replace(/:[a-z_]+:/g, (code) => EMOJI[code] ?? code)
      .replace(/\n/g, '<br>');
  }).join('');
}

function plain(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function textObject(t: Json): string {
  return t.type === 'mrkdwn' ? mrkdwn(t.text) : plain(t.text);
}

function block(b: Json): string {
  switch (b.type) {
    case 'header':
      return `<div class="header">${textObject(b.text)}</div>`;
    case 'section':
      return `<div class="section">${b.text ? `<div>${textObject(b.text)}</div>` : ''}${b.fields ? `<div class="fields">${b.fields.map((f: Json) => `<div>${textObject(f)}</div>`).join('')}</div>` : ''}</div>`;
    case 'actions':
      return `<div class="actions">${b.elements.map((e: Json) => `<button class="${e.style ?? ''}" title="action_id: ${e.action_id}, value: ${plain(e.value ?? '')}">${plain(e.text.text)}</button>`).join('')}</div>`;
    case 'context':
      return `<div class="context">${b.elements.map((e: Json) => `<span>${textObject(e)}</span>`).join('')}</div>`;
    case 'input':
      return `<label class="input"><span>${plain(b.label.text)}${b.optional ? ' <em>(optional)</em>' : ''}</span><textarea placeholder="${plain(b.element.placeholder?.text ?? '')}"></textarea></label>`;
    default:
      return `<pre>${plain(JSON.stringify(b, null, 2))}</pre>`;
  }
}

function message(title: string, built: { text: string; blocks: unknown[] }): string {
  return `<section><h2>${plain(title)}</h2><div class="message"><div class="avatar">T</div><div class="body"><div class="who"><b>Tollgate</b> <span class="app">APP</span> <span class="time">5:00 PM</span></div>${(built.blocks as Json[]).map(block).join('')}</div></div></section>`;
}

function modal(title: string, view: Json): string {
  return `<section><h2>${plain(title)}</h2><div class="modal"><div class="modal-title">${plain(view.title.text)}</div>${(view.blocks as Json[]).map(block).join('')}<div class="modal-buttons"><button>${plain(view.close.text)}</button><button class="primary">${plain(view.submit.text)}</button></div></div></section>`;
}

const votes = [{ approver: { identifier: 'alice', slackUserId: 'U01ALICE' }, decision: 'approve' as const, at: '2025-11-24T17:20:00Z' }];

/** The preview page; test/unit/slack/preview.test.ts checks that slack/preview.html is this. */
export const renderPreview = (): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tollgate approval messages (preview)</title>
<style>
body{font:15px/1.46 -apple-system,BlinkMacSystemFont,"Segoe UI",Lato,sans-serif;background:#f8f8f8;color:#1d1c1d;margin:0;padding:24px}
h1{font-size:20px}h2{font-size:13px;color:#616061;text-transform:uppercase;letter-spacing:.05em;margin:32px 0 8px}
.message{display:flex;gap:8px;background:#fff;border:1px solid #e8e8e8;border-radius:8px;padding:12px 16px;max-width:720px}
.avatar{width:36px;height:36px;border-radius:6px;background:#1f2937;color:#fff;display:flex;align-items:center;justify-content:center;font-weight:700;flex:none}
.body{flex:1;min-width:0}.who{margin-bottom:4px}.app{font-size:10px;background:#e8e8e8;border-radius:2px;padding:1px 3px;color:#616061}.time{font-size:12px;color:#616061}
.header{font-size:18px;font-weight:900;margin:4px 0 8px}.section{margin:8px 0}.fields{display:grid;grid-template-columns:1fr 1fr;gap:8px 16px;margin-top:8px}
code{font:12px Monaco,Menlo,monospace;color:#e01e5a;background:#f6f6f6;border:1px solid #e8e8e8;border-radius:3px;padding:1px 3px}
pre{font:12px Monaco,Menlo,monospace;background:#f8f8f8;border:1px solid #e8e8e8;border-radius:4px;padding:8px;white-space:pre-wrap;margin:4px 0}
blockquote{border-left:4px solid #ddd;margin:4px 0;padding-left:12px}
.mention{background:#e8f5fa;color:#1264a3;border-radius:3px;padding:0 2px}a{color:#1264a3;text-decoration:none}
.actions{display:flex;gap:8px;margin:12px 0}button{font:700 13px sans-serif;border:1px solid #ccc;background:#fff;border-radius:4px;padding:6px 14px}
button.primary{background:#007a5a;border-color:#007a5a;color:#fff}button.danger{background:#fff;border-color:#e01e5a;color:#e01e5a}
.context{font-size:12px;color:#616061;margin-top:8px}
.modal{background:#fff;border-radius:8px;box-shadow:0 4px 12px rgba(0,0,0,.2);max-width:520px;padding:16px 24px}.modal-title{font-size:22px;font-weight:900;margin-bottom:12px}
.input{display:block;margin:12px 0}.input span{display:block;font-weight:700;margin-bottom:4px}.input em{font-weight:400;color:#616061}
textarea{width:100%;min-height:80px;border:1px solid #bbb;border-radius:4px;box-sizing:border-box}.modal-buttons{display:flex;justify-content:flex-end;gap:8px}
</style></head><body>
<h1>Tollgate approval messages</h1>
<p>Generated by <code>npx tsx slack/render-preview.ts</code> from <code>src/slack/blocks.ts</code>. Hover a button to see its action_id and value.</p>
${message('Approval request', approvalRequestMessage(input))}
${message('After the first of two approvals', approvalProgressMessage(input, { required: 2, votes }))}
${message('Rejected', approvalOutcomeMessage(input, { outcome: 'rejected', decidedBy: { identifier: 'bob', slackUserId: 'U02BOB' }, at: '2025-11-24T17:42:00Z', note: 'Not during the quarter-end freeze. Please retry on Monday.' }))}
${modal('Reject dialog', rejectReasonModal(input.operationId, 'C0123ABCD', '1764003600.000100') as Json)}
${message('Budget alert', budgetAlertMessage({ level: 'team', entity: 'team-data', period: '2025-11', periodKind: 'month', threshold: 0.9, spent: 912.5, limit: 1000, percent: 91.25, createdAt: new Date('2025-11-20T12:00:00Z') }))}
</body></html>
`;

export const PREVIEW_FILE = fileURLToPath(new URL('./preview.html', import.meta.url));

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  writeFileSync(PREVIEW_FILE, renderPreview());
  console.log(`wrote ${PREVIEW_FILE}`);
}
