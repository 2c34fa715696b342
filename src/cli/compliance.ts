import type { Command } from 'commander';
import type { ChainVerification } from '../audit/index.js';
import { TollgateInputError } from '../errors.js';
import {
  COMPLIANCE_ENTRY_TYPES, SEED_COMPLIANCE_REGISTRY, complianceEvents, complianceReport, loadComplianceRegistry, parseComplianceFramework,
  type ComplianceRegistry, type ComplianceReport, type RequirementReport, type PolicyDecisionEvent,
} from '../patterns/compliance.js';
import { anchorsFor, formatVerification, pointInTime, verifyingKey, withAuditTrail } from './audit.js';
import { configOf } from './context.js';
import { CliExit, EXIT, printJson } from './io.js';

const FORMATS = ['text', 'md', 'json'] as const;
type ReportFormat = (typeof FORMATS)[number];

const format = (value: string): ReportFormat => {
  if ((FORMATS as readonly string[]).includes(value)) return value as ReportFormat;
  throw new TollgateInputError(`--format: expected one of ${FORMATS.join(', ')}, got "${value}"`, '--format');
};

function formatEvidence(r: RequirementReport): string {
  const e = r.evidence;
  const approvals = e.approvalRequired > 0
    ? `, ${e.approvalRequired} needing approval (${e.approved} approved, ${e.rejected} rejected, ${e.expired} expired, ${e.cancelled} cancelled, ${e.pendingApprovals} pending)`
    : '';
  return `${e.decisions} decisions: ${e.allowed} allowed, ${e.denied} denied${approvals}`;
}

const violationWhere = (v: PolicyDecisionEvent) =>
  [v.seq === undefined ? undefined : `entry ${String(v.seq)}`, v.operationId, v.actor, v.action, v.resource].filter(Boolean).join(' ');

/** The report for a terminal: one block per requirement, columns sized to their widest cell. */
export function formatComplianceReport(report: ComplianceReport, chain: ChainVerification): string {
  const lines = [`${report.framework} compliance report, ${report.period.from ?? 'whole record'} to ${report.period.to}`];
  const statusWidth = Math.max(...report.requirements.map((r) => r.status.length));
  const idWidth = Math.max(...report.requirements.map((r) => r.requirementId.length));
  const indent = ' '.repeat(2 + statusWidth + 2 + idWidth + 2);
  for (const r of report.requirements) {
    lines.push(`  ${r.status.toUpperCase().padEnd(statusWidth)}  ${r.requirementId.padEnd(idWidth)}  ${r.description}`);
    lines.push(`${indent}${r.finding}`);
    lines.push(`${indent}evidence: ${formatEvidence(r)}`);
    for (const v of r.violations) lines.push(`${indent}violation: ${violationWhere(v)} at ${String(v.at)}`);
    lines.push(`${indent}evidence needed: ${r.evidenceNeeded.join(', ')}`);
  }
  const s = report.summary;
  lines.push(`summary: ${s.totalRequirements} requirements: ${s.compliant} compliant, ${s.nonCompliant} non-compliant, ${s.requiresReview} requiring review`);
  lines.push(formatVerification(chain));
  return lines.join('\n');
}

/** A table cell: pipes escaped and line breaks flattened, so no value can break the table. */
const cell = (value: unknown) => String(value ?? '').replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const code = (value: unknown) => (value === undefined || value === null || value === '' ? '' : `\`${String(value).replace(/`/g, "'")}\``);
const STATUS_LABEL = { compliant: 'Compliant', non_compliant: 'Non-compliant', requires_review: 'Requires review' } as const;

/**
 * The report as Markdown, to attach to an audit ticket: the summary, one table row per
 * requirement (status and evidence counts), the violations with the chain entry (seq and hash)
 * that records each, what an auditor will still ask for, and the audit chain's verification.
 */
export function formatComplianceMarkdown(report: ComplianceReport, chain: ChainVerification): string {
  const s = report.summary;
  const out = [
    `# ${report.framework.toUpperCase()} compliance report`,
    '',
    `- Period: ${report.period.from ?? 'whole record'} to ${report.period.to}`,
    `- Generated: ${report.generatedAt}`,
    `- Requirements: ${s.totalRequirements} (${s.compliant} compliant, ${s.nonCompliant} non-compliant, ${s.requiresReview} requiring review)`,
    `- Audit chain: ${chain.ok ? 'verified' : '**BROKEN**'} (${chain.entries} entries)`,
    '',
    '## Requirements',
    '',
    '| Requirement | Description | Status | Decisions | Allowed | Denied | Needing approval | Approved | Rejected | Expired | Cancelled | Pending | Finding |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...report.requirements.map((r) => {
      const e = r.evidence;
      return `| ${cell(r.requirementId)} | ${cell(r.description)} | ${STATUS_LABEL[r.status]} | ${e.decisions} | ${e.allowed} | ${e.denied} | `
        + `${e.approvalRequired} | ${e.approved} | ${e.rejected} | ${e.expired} | ${e.cancelled} | ${e.pendingApprovals} | ${cell(r.finding)} |`;
    }),
    '',
    '## Violations',
    '',
  ];
  const violations = report.requirements.flatMap((r) => r.violations.map((v) => ({ requirement: r.requirementId, v })));
  if (violations.length === 0) {
    out.push('None in the period.');
  } else {
    out.push('| Requirement | Entry | Hash | At | Operation | Actor | Action | Resource | Rule |', '|---|---:|---|---|---|---|---|---|---|');
    for (const { requirement, v } of violations) {
      out.push(`| ${cell(requirement)} | ${cell(v.seq)} | ${cell(code(v.hash))} | ${cell(v.at instanceof Date ? v.at.toISOString() : v.at)} | `
        + `${cell(code(v.operationId))} | ${cell(v.actor)} | ${cell(code(v.action))} | ${cell(code(v.resource))} | ${cell(code(v.rule))} |`);
    }
  }
  out.push('', '## Evidence an auditor will ask for', '', ...report.requirements.map((r) => `- ${cell(r.requirementId)}: ${r.evidenceNeeded.map(code).join(', ')}`));
  out.push('', '## Audit chain verification', '', '```', formatVerification(chain), '```');
  return `${out.join('\n')}\n`;
}

const registryOf = (file: string | undefined): ComplianceRegistry => (file ? loadComplianceRegistry(file) : SEED_COMPLIANCE_REGISTRY);

export function registerComplianceCommands(program: Command): void {
  const compliance = program.command('compliance').description('compliance reports from the audit trail');
  compliance.command('report')
    .description('per requirement: compliant, non_compliant or requires_review; exit 1 if any is non-compliant or the audit chain is broken')
    .requiredOption('--framework <name>', `one of ${SEED_COMPLIANCE_REGISTRY.frameworks.join(', ')}, or one the --registry file adds`)
    .option('--registry <file>', 'YAML file of requirements that extends (or replaces entries of) the seed registry (default: `compliance` in tollgate.yaml)')
    .option('--since <time>', 'only decisions at or after: ISO time, or a duration ago such as 30d', pointInTime('--since'))
    .option('--format <format>', `${FORMATS.join(' | ')} (md: Markdown for an audit ticket)`, format, 'text')
    .option('--json', 'print one JSON document (same as --format json)')
    .action(async (options, command: Command) => {
      const registry = registryOf(options.registry ?? configOf(command).compliance);
      let framework: string;
      try {
        framework = parseComplianceFramework(options.framework, registry);
      } catch (error) {
        throw new TollgateInputError(`--framework: ${(error as Error).message}`, '--framework');
      }
      const output: ReportFormat = options.json ? 'json' : options.format;
      const { report, chain } = await withAuditTrail(command, async (trail, config) => {
        // A report is only as good as the record it reads: check the chain it comes from.
        const anchors = anchorsFor(undefined, config);
        const chain = await trail.verify({ publicKey: verifyingKey(undefined, config), anchors });
        const entries = await trail.query({ type: COMPLIANCE_ENTRY_TYPES, since: options.since });
        return { chain, report: complianceReport(framework, complianceEvents(entries), new Date(), { since: options.since, registry }) };
      });
      if (output === 'json') printJson({ ...report, auditChain: chain });
      else if (output === 'md') process.stdout.write(formatComplianceMarkdown(report, chain));
      else console.log(formatComplianceReport(report, chain));
      if (report.summary.nonCompliant > 0 || !chain.ok) throw new CliExit(EXIT.outcome);
    });
}
