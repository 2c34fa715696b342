import { proxyActivities } from '@temporalio/workflow';

/** The baseline: one workflow, one no-op activity, nothing else. */
const { noop } = proxyActivities<{ noop(): Promise<string> }>({ startToCloseTimeout: '10s' });

export async function bareWorkflow(): Promise<string> {
  return noop();
}
