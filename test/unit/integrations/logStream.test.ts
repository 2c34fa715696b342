import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const LOG_MODULE = fileURLToPath(new URL('../../../src/log.ts', import.meta.url));

/**
 * `tollgate mcp` speaks JSON-RPC on stdout to its client, and `--json` commands print one document
 * there: a log line on stdout would corrupt both. Logs belong on stderr.
 */
it('writes log lines to stderr and nothing to stdout', async () => {
  const script = `const { logger } = await import(${JSON.stringify(LOG_MODULE)}); logger.warn({ probe: true }, 'probe line'); logger.flush?.();`;
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, TOLLGATE_LOG_LEVEL: 'info' } }, (error, out, err) => {
      if (error) reject(error);
      else resolve({ stdout: out, stderr: err });
    });
  });
  expect(stdout).toBe('');
  expect(stderr).toContain('probe line');
});
