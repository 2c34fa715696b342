import { condition, defineSignal, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';

/** The baselines the governed workflow is measured against: the least Temporal work for each path. */
const { noop } = proxyActivities<{ noop(): Promise<string> }>({ startToCloseTimeout: '10s' });

/** One workflow, one no-op activity, nothing else. */
export async function bareWorkflow(): Promise<string> {
  return noop();
}

export const bareDecisionUpdate = defineUpdate<string, [string]>('decide');

/** Waits for one Update and completes with its argument: the floor of "a decision → completed". */
export async function bareUpdateWorkflow(): Promise<string> {
  let decision: string | undefined;
  setHandler(bareDecisionUpdate, (value) => {
    decision = value;
    return value;
  });
  await condition(() => decision !== undefined);
  return decision!;
}

export const bareDecisionSignal = defineSignal<[string]>('approvalDecision');

/** Waits for one signal: the path decisions took before they were Updates with proofs. */
export async function bareSignalWorkflow(): Promise<string> {
  let decision: string | undefined;
  setHandler(bareDecisionSignal, (value) => {
    decision = value;
  });
  await condition(() => decision !== undefined);
  return decision!;
}
