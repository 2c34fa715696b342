import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  PolicyEngine, PolicyEffect, PolicyRequestSchema, lintPolicySet, loadPolicySet, loadPolicyCases, policyLineLocator, runPolicyCases,
  type PolicyExplanation, type PolicyDecision, type PolicyRequest,
} from '../policy/index.js';
import { TollgateInputError } from '../errors.js';
import { CliExit, EXIT, parseArgument, printJson, readJsonArgument } from './io.js';

const at = (file: string, line: number | undefined) => `${file}${line ? `:${line}` : ''}`;

function check(file: string): void {
  const set = loadPolicySet(file);
  const findings = lintPolicySet(set);
  const locate = policyLineLocator(readFileSync(file, 'utf8'));
  for (const finding of findings) {
    const index = Number(/\[(\d+)\]/.exec(finding.path)?.[1]);
    console.log(`${at(file, locate(['rules', index]))} ${finding.path}: ${finding.kind}: ${finding.message}`);
  }
  console.log(findings.length === 0
    ? `${file}: ok, ${set.rules.length} rules, no findings`
    : `${file}: ${set.rules.length} rules, ${findings.length} finding${findings.length === 1 ? '' : 's'}`);
  if (findings.length > 0) throw new CliExit(EXIT.outcome);
}

export function formatDecision(decision: PolicyDecision): string {
  const rule = decision.rule ? `rule ${decision.rule}` : 'default effect';
  const reason = decision.reason ? `: ${decision.reason}` : '';
  return `${decision.effect.toUpperCase()} by ${rule}${reason}  [${decision.policySet}@${decision.policyVersion}]`;
}

function formatExplanation(explanation: PolicyExplanation): string {
  const marks = { matched: '✔', not_matched: '✘', not_reached: '·' } as const;
  return explanation.steps
    .map((step) => `  ${marks[step.outcome]} ${step.rule} (priority ${step.priority}, ${step.effect}): ${step.reason}`)
    .join('\n');
}

interface EvalOptions { request: string; args?: string; enrich?: boolean; explain?: boolean; json?: boolean; enforce?: boolean }

/**
 * The request as the policy sees it under --enrich: the configured enrichers' facts over the
 * caller's claims, exactly as the evaluate activity builds it (no database here, so the budget
 * enricher adds nothing, and no rollout bucket without an operation id).
 */
async function enrichedRequest(request: PolicyRequest, args: unknown, command: Command) {
  const [{ enrichmentFor }, { policyRequestFor }, { configOf }] = await Promise.all([
    import('../patterns/enrichment.js'), import('../patterns/enrichers.js'), import('./context.js'),
  ]);
  const config = configOf(command);
  const enrichment = enrichmentFor(config);
  const operation = args === undefined ? undefined : { name: 'policy-eval', args };
  const computed = await enrichment.enrich({ ...request, ...(operation ? { operation } : {}) });
  return policyRequestFor(request, computed, new Set([...config.trusted, ...enrichment.computedKeys]));
}

async function evaluate(file: string, options: EvalOptions, command: Command): Promise<void> {
  const engine = new PolicyEngine(loadPolicySet(file));
  const claimed = parseArgument(PolicyRequestSchema, readJsonArgument(options.request, '--request'), '--request');
  const args = options.args === undefined ? undefined : readJsonArgument(options.args, '--args');
  if (args !== undefined && !options.enrich) throw new TollgateInputError('--args: the operation arguments are read by the enrichers; add --enrich', '--args');
  const enriched = options.enrich ? await enrichedRequest(claimed, args, command) : undefined;
  const request = enriched?.request ?? claimed;
  const explanation = options.explain ? engine.explain(request) : undefined;
  const decision = explanation?.decision ?? engine.evaluate(request);
  if (options.json) {
    const steps = explanation ? { steps: explanation.steps } : {};
    printJson(enriched ? { decision, context: request.context, droppedClaims: enriched.dropped, ...steps } : explanation ? { decision, ...steps } : decision);
  } else {
    console.log(formatDecision(decision));
    if (enriched) {
      console.log(`  context: ${JSON.stringify(request.context)}`);
      if (enriched.dropped.length > 0) console.log(`  dropped claims: ${enriched.dropped.join(', ')} (only enrichers may set them)`);
    }
    if (explanation) console.log(formatExplanation(explanation));
  }
  if (options.enforce && decision.effect !== PolicyEffect.ALLOW) throw new CliExit(EXIT.outcome);
}

function runCases(file: string, casesFile: string): void {
  const report = runPolicyCases(new PolicyEngine(loadPolicySet(file)), loadPolicyCases(casesFile));
  for (const result of report.results) {
    if (!result.passed) console.log(`${at(casesFile, result.line)} ${result.label}: expected ${result.expected}, got ${result.got}`);
  }
  console.log(`${report.passed} passed, ${report.failed} failed`);
  if (report.failed > 0) throw new CliExit(EXIT.outcome);
}

export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('check, evaluate and test policy sets');
  policy.command('check')
    .argument('<file>', 'policy set (YAML or JSON)')
    .description('validate and lint; exit 0 clean, 1 findings, 2 invalid')
    .action((file: string) => check(file));
  policy.command('eval')
    .argument('<file>', 'policy set (YAML or JSON)')
    .requiredOption('--request <json|@file>', 'the request: {subject, action, resource, context?}')
    .option('--enrich', 'run the configured enrichers first: the context the policy sees in a workflow (facts over claims)')
    .option('--args <json|@file>', 'with --enrich: the operation arguments the security detectors judge')
    .option('--explain', 'show every rule tried and why it failed or matched')
    .option('--json', 'print one JSON document')
    .option('--enforce', 'exit 1 unless the decision is allow')
    .description('evaluate one request and print the decision')
    .action((file: string, options: EvalOptions, command: Command) => evaluate(file, options, command));
  policy.command('test')
    .argument('<file>', 'policy set (YAML or JSON)')
    .argument('<cases>', 'table of cases: {cases: [{name?, request, effect, rule?}]}')
    .description('run table-driven cases; exit 1 if any fails')
    .action((file: string, cases: string) => runCases(file, cases));
}
