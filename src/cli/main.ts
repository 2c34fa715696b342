import { Command, CommanderError, Option } from 'commander';
import { LOG_FORMATS, type LogFormat } from '../logFormats.js';
import { packageVersion } from '../packageInfo.js';
import { EXIT } from './exitCodes.js';

type Register = (program: Command) => void;

/**
 * Each top-level command and the module that defines it, imported only when that command runs,
 * so `tollgate policy eval` never loads Temporal, Bolt or a database driver.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  start: async () => (await import('./service.js')).registerServiceCommands,
  policy: async () => {
    const [{ registerPolicyCommands }, { registerPolicyDiffCommand }] = await Promise.all([import('./policy.js'), import('./policyDiff.js')]);
    return (program) => {
      registerPolicyCommands(program);
      registerPolicyDiffCommand(program.commands.find((command) => command.name() === 'policy')!);
    };
  },
  submit: async () => (await import('./operations.js')).registerOperationCommands,
  approvals: async () => (await import('./approvals.js')).registerApprovalCommands,
  approvers: async () => (await import('./approvers.js')).registerApproverCommands,
  grants: async () => (await import('./grants.js')).registerGrantCommands,
  rollout: async () => (await import('./rollout.js')).registerRolloutCommands,
  budget: async () => (await import('./budget.js')).registerBudgetCommands,
  audit: async () => (await import('./audit.js')).registerAuditCommands,
  compliance: async () => (await import('./compliance.js')).registerComplianceCommands,
  mcp: async () => (await import('./mcp.js')).registerMcpCommands,
};
/** Commands registered by a module under another command's name. */
const ALIASES: Record<string, string> = { worker: 'start', receiver: 'start', status: 'submit' };

/** The command named on the command line, past the global options; undefined for none (help). */
function commandNamed(argv: readonly string[]): string | undefined {
  const withValue = new Set(['--config', '--log-format']);
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i];
    if (withValue.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

export async function buildProgram(argv: readonly string[] = process.argv): Promise<Command> {
  const program = new Command('tollgate')
    .description('Durable governance gates: policy, approvals in Slack, budgets and audit on Temporal')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('--config <file>', 'tollgate.yaml (default: $TOLLGATE_CONFIG or ./tollgate.yaml)')
    .addOption(new Option('--log-format <format>', 'log lines on stderr: pretty or json (default: $TOLLGATE_LOG_FORMAT, else pretty on a terminal, json otherwise)').choices(LOG_FORMATS))
    .hook('preAction', async (_program, action) => {
      const format = action.optsWithGlobals().logFormat as LogFormat | undefined;
      if (format) (await import('../log.js')).configureLogging({ format });
    })
    .showHelpAfterError()
    .exitOverride();
  const named = commandNamed(argv);
  const only = named === undefined ? undefined : COMMANDS[ALIASES[named] ?? named];
  const versionOnly = named === undefined && argv.some((arg) => arg === '-V' || arg === '--version');
  // Help and unknown commands (which get "did you mean") need every command's name.
  const registers = versionOnly ? [] : only ? [await only()] : await Promise.all(Object.values(COMMANDS).map((load) => load()));
  for (const register of registers) register(program);
  return program;
}

export async function main(argv = process.argv): Promise<number> {
  try {
    await (await buildProgram(argv)).parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successes; everything else commander rejects is bad input.
      return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    }
    const { exitCodeFor } = await import('./io.js');
    const { code, lines } = exitCodeFor(error);
    for (const line of lines) process.stderr.write(`${line}\n`);
    return code;
  }
}

process.exitCode = await main();
