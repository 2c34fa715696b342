import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TollgateConfig } from '../../src/config.js';

const SCRIPT = fileURLToPath(new URL('./workerProcess.ts', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Start a worker process and wait until it polls its task queue. */
export async function startWorkerProcess(config: TollgateConfig, ledger: string): Promise<WorkerProcess> {
  const { secrets: _secrets, baseDir: _baseDir, source: _source, ...file } = config;
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
    env: { ...process.env, TOLLGATE_TEST_CONFIG: JSON.stringify(file), TOLLGATE_TEST_LEDGER: ledger },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (chunk) => { output += chunk; });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start in 60s:\n${output}`)), 60_000);
    child.stdout!.on('data', (chunk) => {
      if (String(chunk).includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}:\n${output}`));
    });
  });
  return {
    child,
    pid: child.pid!,
    kill: (signal = 'SIGKILL') => new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    }),
  };
}

/** Lines `<operationId> <pid>` the `record` operation wrote. */
export function ledgerEntries(ledger: string): Array<{ id: string; pid: number }> {
  if (!existsSync(ledger)) return [];
  return readFileSync(ledger, 'utf8').split('\n').filter(Boolean).map((line) => {
    const [id, pid] = line.split(' ');
    return { id, pid: Number(pid) };
  });
}
