/**
 * The rehearsal's operation handler, loaded into each `tollgate worker` process with
 * `--operations`. Its side effect is a marker file named after the operation id, created
 * exclusively: the idempotency key the README asks handlers to use, because Temporal runs an
 * activity at least once (a worker killed after the effect but before reporting it means a
 * retry elsewhere). Every attempt is logged too, so the rehearsal can show the retries it caused.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerOperation } from '../../src/operation/registry.js';

const effectsDir = process.env.TOLLGATE_REHEARSAL_EFFECTS;
const attemptsLog = process.env.TOLLGATE_REHEARSAL_ATTEMPTS;
if (!effectsDir || !attemptsLog) {
  throw new Error('test/rehearsal/operations.ts needs TOLLGATE_REHEARSAL_EFFECTS (a folder) and TOLLGATE_REHEARSAL_ATTEMPTS (a file)');
}

registerOperation('record', async (args, { operationId, attempt }) => {
  appendFileSync(attemptsLog, `${operationId} ${process.pid} ${attempt}\n`);
  try {
    writeFileSync(join(effectsDir, operationId), `${process.pid}\n`, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const { actualCost } = args as { actualCost: number };
  return { result: { pid: process.pid }, actualCost };
});
