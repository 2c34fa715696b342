import { Command, CommanderError, Option } from 'commander';
import { LOG_FORMATS, configureLogging, type LogFormat } from '../log.js';
import { registerPolicyCommands } from './policy.js';
import { registerOperationCommands } from './operations.js';
import { registerApprovalCommands } from './approvals.js';
import { registerApproverCommands } from './approvers.js';
import { registerGrantCommands } from './grants.js';
import { registerRolloutCommands } from './rollout.js';
import { registerPolicyDiffCommand } from './policyDiff.js';
import { registerServiceCommands } from './service.js';
import { registerBudgetCommands } from './budget.js';
import { registerAuditCommands } from './audit.js';
import { registerComplianceCommands } from './compliance.js';
import { registerMcpCommands } from './mcp.js';
import { EXIT, exitCodeFor } from './io.js';

export function buildProgram(): Command {
  const program = new Command('tollgate')
    .description('Durable governance gates: policy, approvals in Slack, budgets and audit on Temporal')
    .option('--config <file>', 'tollgate.yaml (default: $TOLLGATE_CONFIG or ./tollgate.yaml)')
    .addOption(new Option('--log-format <format>', 'log lines on stderr: pretty or json (default: $TOLLGATE_LOG_FORMAT, else pretty on a terminal, json otherwise)').choices(LOG_FORMATS))
    .hook('preAction', (_program, action) => {
      const format = action.optsWithGlobals().logFormat as LogFormat | undefined;
      if (format) configureLogging({ format });
    })
    .showHelpAfterError()
    .exitOverride();
  registerServiceCommands(program);
  registerPolicyCommands(program);
  registerPolicyDiffCommand(program.commands.find((command) => command.name() === 'policy')!);
  registerOperationCommands(program);
  registerApprovalCommands(program);
  registerApproverCommands(program);
  registerGrantCommands(program);
  registerRolloutCommands(program);
  registerBudgetCommands(program);
  registerAuditCommands(program);
  registerComplianceCommands(program);
  registerMcpCommands(program);
  return program;
}

export async function main(argv = process.argv): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successes; everything else commander rejects is bad input.
      return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    }
    const { code, lines } = exitCodeFor(error);
    for (const line of lines) process.stderr.write(`${line}\n`);
    return code;
  }
}

process.exitCode = await main();
