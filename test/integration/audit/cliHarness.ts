/**
 * The audit and compliance commands in a program shaped like src/cli/main.ts (global --config,
 * one error-to-exit-code mapping), for as long as main.ts does not register them yet.
 * cli.test.ts runs the real bin/tollgate.js instead once it does.
 */
import { Command, CommanderError } from 'commander';
import { registerAuditCommands } from '../../../src/cli/audit.js';
import { registerComplianceCommands } from '../../../src/cli/compliance.js';
import { EXIT, exitCodeFor } from '../../../src/cli/io.js';

const program = new Command('tollgate').option('--config <file>', 'tollgate.yaml').exitOverride();
registerAuditCommands(program);
registerComplianceCommands(program);
try {
  await program.parseAsync(process.argv);
  process.exitCode = EXIT.ok;
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  } else {
    const { code, lines } = exitCodeFor(error);
    for (const line of lines) process.stderr.write(`${line}\n`);
    process.exitCode = code;
  }
}
