import type { Command } from 'commander';
import { COMPLIANCE_ENTRY_TYPES, complianceEvents, type ChainVerification } from '../audit/index.js';
import { TollgateInputError } from '../errors.js';
import {
  COMPLIANCE_FRAMEWORKS, complianceReport, parseComplianceFramework,
  type ComplianceFramework, type ComplianceReport, type RequirementReport,
} from '../patterns/compliance.js';
import { formatVerification, pointInTime, withAuditTrail } from './audit.js';
import { CliExit, EXIT, printJson } from './io.js';

const framework = (value: string): ComplianceFramework => {
  try {
    return parseComplianceFramework(value);
  } catch (error) {
    throw new TollgateInputError(`--framework: ${(error as Error).message}`, '--framework');
  }
};

function formatEvidence(r: RequirementReport): string {
  const e = r.evidence;
  const approvals = e.approvalRequired > 0
    ? `, ${e.approvalRequired} needing approval (${e.approved} approved, ${e.rejected} rejected, ${e.expired} expired, ${e.cancelled} cancelled, ${e.pendingApprovals} pending)`
    : '';
  return `${e.decisions} decisions: ${e.allowed} allowed, ${e.denied} denied${approvals}`;
}

export function formatComplianceReport(report: ComplianceReport, chain: ChainVerification): string {
  const lines = [`${report.framework} compliance report, ${report.period.from ?? 'whole record'} to ${report.period.to}`];
  const width = Math.max(...report.requirements.map((r) => r.requirementId.length));
  for (const r of report.requirements) {
    const indent = ' '.repeat(width + 17);
    lines.push(`  ${r.status.toUpperCase().padEnd(15)}${r.requirementId.padEnd(width)}  ${r.description}`);
    lines.push(`${indent}${r.finding}`);
    lines.push(`${indent}evidence: ${formatEvidence(r)}`);
    for (const v of r.violations) {
      const where = [v.seq === undefined ? undefined : `entry ${String(v.seq)}`, v.operationId, v.actor, v.action, v.resource].filter(Boolean).join(' ');
      lines.push(`${indent}violation: ${where} at ${String(v.at)}`);
    }
    lines.push(`${indent}evidence needed: ${r.evidenceNeeded.join(', ')}`);
  }
  const s = report.summary;
  lines.push(`summary: ${s.totalRequirements} requirements: ${s.compliant} compliant, ${s.nonCompliant} non-compliant, ${s.requiresReview} requiring review`);
  lines.push(formatVerification(chain));
  return lines.join('\n');
}

export function registerComplianceCommands(program: Command): void {
  const compliance = program.command('compliance').description('compliance reports from the audit trail');
  compliance.command('report')
    .description('per requirement: compliant, non_compliant or requires_review; exit 1 if any is non-compliant or the audit chain is broken')
    .requiredOption('--framework <name>', `one of ${COMPLIANCE_FRAMEWORKS.join(', ')}`, framework)
    .option('--since <time>', 'only decisions at or after: ISO time, or a duration ago such as 30d', pointInTime('--since'))
    .option('--json', 'print one JSON document')
    .action(async (options, command: Command) => {
      const { report, chain } = await withAuditTrail(command, async (trail) => {
        // A report is only as good as the record it reads: check the chain it comes from.
        const chain = await trail.verify();
        const entries = await trail.query({ type: COMPLIANCE_ENTRY_TYPES, since: options.since });
        return { chain, report: complianceReport(options.framework, complianceEvents(entries), new Date(), { since: options.since }) };
      });
      if (options.json) printJson({ ...report, auditChain: chain });
      else console.log(formatComplianceReport(report, chain));
      if (report.summary.nonCompliant > 0 || !chain.ok) throw new CliExit(EXIT.outcome);
    });
}
