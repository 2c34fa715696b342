import type { Command } from 'commander';
import { z } from 'zod';
import { SubjectSchema } from '../policy/request.js';
import type { OperationResult, OperationStatusView } from '../operation/types.js';
import { OperationOutcomeError } from '../client/errors.js';
import { TollgateInputError } from '../errors.js';
import { CliExit, EXIT, parseArgument, printJson, readJsonArgument } from './io.js';
import { withClient } from './context.js';

const number = (flag: string) => (value: string) => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new TollgateInputError(`${flag}: expected a non-negative number, got "${value}"`, flag);
  return parsed;
};

export function describeStatus(view: OperationStatusView): string {
  const lines = [`${view.id}: ${view.status}`, `  ${view.input.subject.identifier} → ${view.input.action} on ${view.input.resource}`];
  if (view.decision) lines.push(`  policy: ${view.decision.effect} by ${view.decision.rule ?? 'default effect'}${view.decision.reason ? ` (${view.decision.reason})` : ''}`);
  const approval = view.approval;
  if (approval) {
    const approvals = approval.votes.filter((v) => v.decision === 'approve');
    lines.push(`  approvals: ${approvals.length} of ${approval.required}${approvals.length ? ` (${approvals.map((v) => v.approver.identifier).join(', ')})` : ''}, deadline ${approval.deadline}${approval.escalated ? ', escalated' : ''}`);
    for (const refused of approval.refused) lines.push(`  refused vote from ${refused.approver.identifier}: ${refused.reason}`);
  }
  if (view.error) lines.push(`  outcome: ${view.error}`);
  return lines.join('\n');
}

function describeResult(result: OperationResult): string {
  const approvedBy = result.approval?.votes.filter((v) => v.decision === 'approve').map((v) => v.approver.identifier);
  return [
    `${result.id}: completed (${result.decision.effect} by ${result.decision.rule ?? 'default effect'}${approvedBy?.length ? `, approved by ${approvedBy.join(', ')}` : ''})`,
    ...(result.result !== undefined ? [`  result: ${JSON.stringify(result.result)}`] : []),
  ].join('\n');
}

export function registerOperationCommands(program: Command): void {
  program.command('submit')
    .description('submit a governed operation (a pure gate when --operation is omitted)')
    .requiredOption('--subject <json|@file>', 'who: {"identifier":"user-123","roles":["developer"],...}')
    .requiredOption('--action <action>', 'what, e.g. data:export')
    .requiredOption('--resource <resource>', 'on what, e.g. dataset://sales/2026')
    .option('--context <json|@file>', 'request context for the policy')
    .option('--operation <name>', 'registered operation handler to run once allowed')
    .option('--args <json|@file>', 'arguments for the operation handler')
    .option('--estimated-cost <n>', 'estimated cost, reserved against budgets', number('--estimated-cost'))
    .option('--id <id>', 'operation id (idempotent: the same id returns the existing run)')
    .option('--wait', 'wait for the outcome; exit 1 if denied, rejected, expired, cancelled or failed')
    .option('--json', 'print one JSON document')
    .action(async (options, command: Command) => {
      const subject = parseArgument(SubjectSchema, readJsonArgument(options.subject, '--subject'), '--subject');
      const context = options.context === undefined ? undefined : parseArgument(z.record(z.string(), z.unknown()), readJsonArgument(options.context, '--context'), '--context');
      if (options.args !== undefined && !options.operation) throw new TollgateInputError('--args: needs --operation NAME to say which handler gets them', '--args');
      const args = options.args === undefined ? undefined : readJsonArgument(options.args, '--args');
      await withClient(command, async (client) => {
        const handle = await client.submit({
          id: options.id, subject, action: options.action, resource: options.resource, context,
          operation: options.operation ? { name: options.operation, args } : undefined,
          estimatedCost: options.estimatedCost,
        });
        if (!options.wait) {
          if (options.json) printJson({ id: handle.id });
          else console.log(`submitted ${handle.id}; follow it with \`tollgate status ${handle.id}\``);
          return;
        }
        try {
          const result = await handle.result();
          if (options.json) printJson(result);
          else console.log(describeResult(result));
        } catch (error) {
          if (!(error instanceof OperationOutcomeError)) throw error;
          if (options.json) printJson({ id: handle.id, status: error.status, error: error.message, details: error.details });
          throw new CliExit(EXIT.outcome, `${handle.id}: ${error.status}: ${error.message}`);
        }
      });
    });

  program.command('status')
    .description('show where a governed operation stands')
    .argument('<id>', 'operation id')
    .option('--json', 'print one JSON document')
    .action(async (id: string, options, command: Command) => {
      await withClient(command, async (client) => {
        const view = await client.status(id);
        if (options.json) printJson(view);
        else console.log(describeStatus(view));
      });
    });
}
