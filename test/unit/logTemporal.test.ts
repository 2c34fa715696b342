import { describe, expect, it } from 'vitest';
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { createLogger } from '../../src/log.js';
import { temporalLogger } from '../../src/temporal/logger.js';
import { FAILURE_TYPE_LOG_KEY, interceptors } from '../../src/temporal/workflowLogInterceptors.js';

function capture() {
  const chunks: string[] = [];
  const log = createLogger({ sink: { write: (text) => void chunks.push(text) }, format: 'json', level: 'trace' });
  return { log, records: () => chunks.join('').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line)) };
}

const LOG_TIMESTAMP = Symbol.for('log_timestamp');

/**
 * The meta @temporalio/workflow's lifecycle logging passes with "Workflow failed" (lib/logs.js:
 * `log.warn('Workflow failed', { error, sdkComponent: 'worker' })` plus workflowLogAttributes), as it
 * reaches the Runtime logger: across the workflow thread's postMessage, so the error is a structured
 * clone that kept only message, stack and cause. The failure type arrives through our interceptor.
 */
function workflowFailedMeta(failure: Error, failureType?: string) {
  return {
    [LOG_TIMESTAMP]: 1_718_000_000_000_000_000n,
    sdkComponent: 'worker',
    taskQueue: 'tollgate',
    namespace: 'default',
    workflowId: 'op-1',
    runId: '0190a7d4-aaaa-7bbb-8ccc-123456789abc',
    workflowType: 'governedOperation',
    ...(failureType ? { [FAILURE_TYPE_LOG_KEY]: failureType } : {}),
    error: structuredClone(failure),
  };
}

/** The meta @temporalio/worker's Activity passes with "Activity failed" (lib/activity.js): the thrown error itself. */
function activityFailedMeta(error: Error) {
  return {
    sdkComponent: 'worker', taskQueue: 'tollgate', isLocal: false, attempt: 1, namespace: 'default', taskToken: 'dGFzaw==',
    activityId: '3', activityType: 'reserveBudget', workflowId: 'op-2', workflowRunId: 'r', workflowType: 'governedOperation',
    error, durationMs: 4,
  };
}

const denial = () => ApplicationFailure.create({ type: 'PolicyViolation', message: 'denied by rule block_dangerous_tools: Block inherently dangerous operations', nonRetryable: true, details: [{ rule: 'block_dangerous_tools' }] });

describe('temporalLogger', () => {
  it('the SDK loses the failure type on the way to the logger: what the interceptor is for', () => {
    const cloned = workflowFailedMeta(denial()).error as Error & { type?: string };
    expect(cloned.type).toBeUndefined();
    expect(cloned.name).toBe('Error');
  });

  it('logs an expected outcome as one info line, without a stack', () => {
    const { log, records } = capture();
    temporalLogger({ log }).warn('Workflow failed', workflowFailedMeta(denial(), 'PolicyViolation'));
    const [record, ...rest] = records();
    expect(rest).toEqual([]);
    expect(record).toMatchObject({
      level: 30, outcome: 'PolicyViolation', workflowId: 'op-1', workflowType: 'governedOperation',
      msg: 'Workflow ended: PolicyViolation: denied by rule block_dangerous_tools: Block inherently dangerous operations',
    });
    expect(record).not.toHaveProperty('err');
    expect(record).not.toHaveProperty(FAILURE_TYPE_LOG_KEY);
    expect(JSON.stringify(record)).not.toContain('stack');
  });

  it('treats each expected outcome type alike, and an activity that threw one', () => {
    const { log, records } = capture();
    const adapter = temporalLogger({ log });
    for (const type of ['BudgetExceeded', 'ApprovalRejected', 'ApprovalExpired']) {
      adapter.warn('Workflow failed', workflowFailedMeta(ApplicationFailure.create({ type, message: `${type} happened`, nonRetryable: true }), type));
    }
    adapter.warn('Activity failed', activityFailedMeta(ApplicationFailure.create({ type: 'BudgetExceeded', message: 'team-a would exceed 50.00', nonRetryable: true })));
    expect(records().map((record) => [record.level, record.msg])).toEqual([
      [30, 'Workflow ended: BudgetExceeded: BudgetExceeded happened'],
      [30, 'Workflow ended: ApprovalRejected: ApprovalRejected happened'],
      [30, 'Workflow ended: ApprovalExpired: ApprovalExpired happened'],
      [30, 'Activity ended: BudgetExceeded: team-a would exceed 50.00'],
    ]);
  });

  it('keeps real failures as warnings with their stack, redacted', () => {
    const { log, records } = capture();
    const adapter = temporalLogger({ log });
    const failed = ApplicationFailure.create({ type: 'OperationFailed', message: 'operation export failed: cannot reach postgres://app:hunter2@db/app', nonRetryable: true });
    adapter.warn('Workflow failed', workflowFailedMeta(failed, 'OperationFailed'));
    adapter.warn('Workflow failed', workflowFailedMeta(denial()));
    const [operationFailed, untyped] = records();
    expect(operationFailed).toMatchObject({ level: 40, msg: 'Workflow failed', workflowId: 'op-1' });
    expect(operationFailed.err.message).toBe('operation export failed: cannot reach postgres://app:[REDACTED]@db/app');
    expect(operationFailed.err.stack).toMatch(/^ApplicationFailure: operation export failed/);
    expect(JSON.stringify(operationFailed)).not.toContain('hunter2');
    // Without the interceptor's attribute the type is unknown: it stays a warning rather than hiding a fault.
    expect(untyped).toMatchObject({ level: 40, msg: 'Workflow failed' });
  });

  it('reads the type of the failure an activity failure wraps', () => {
    const { log, records } = capture();
    const wrapped = new ActivityFailure('Activity task failed', 'reserveBudget', '3', RetryState.NON_RETRYABLE_FAILURE, 'worker-1',
      ApplicationFailure.create({ type: 'BudgetExceeded', message: 'org would exceed 10000.00', nonRetryable: true }));
    temporalLogger({ log }).warn('Workflow failed', { workflowId: 'op-3', error: wrapped });
    expect(records()[0]).toMatchObject({ level: 30, outcome: 'BudgetExceeded', msg: 'Workflow ended: BudgetExceeded: org would exceed 10000.00' });
  });

  it('drops the SDK chatter below WARN unless asked, and maps levels one to one', () => {
    const { log, records } = capture();
    const quiet = temporalLogger({ log });
    quiet.info('Worker state changed', { state: 'RUNNING' });
    quiet.debug('Activity started');
    expect(records()).toEqual([]);
    const chatty = temporalLogger({ log, minLevel: 'TRACE' });
    chatty.trace('t');
    chatty.debug('d');
    chatty.info('Worker state changed', { state: 'RUNNING', [LOG_TIMESTAMP]: 1n });
    chatty.log('WARN', 'w');
    chatty.error('e', { sdkComponent: 'core' });
    expect(records().map((record) => [record.level, record.msg])).toEqual([[10, 't'], [20, 'd'], [30, 'Worker state changed'], [40, 'w'], [50, 'e']]);
    expect(records()[2].state).toBe('RUNNING');
  });
});

describe('the workflow log interceptor', () => {
  it('adds the failure type to log attributes once the run has failed, and not before', async () => {
    const { inbound, outbound } = interceptors();
    const attributes = (input: Record<string, unknown>) => outbound![0].getLogAttributes!(input, (value) => value);
    expect(attributes({ workflowId: 'op-1' })).toEqual({ workflowId: 'op-1' });
    const execute = inbound![0].execute!({ args: [], headers: {} }, async () => { throw denial(); });
    await expect(execute).rejects.toThrow('denied by rule');
    expect(attributes({ workflowId: 'op-1' })).toEqual({ workflowId: 'op-1', [FAILURE_TYPE_LOG_KEY]: 'PolicyViolation' });
  });

  it('records nothing for a run that completes or fails without a type', async () => {
    for (const outcome of [async () => 'done', async () => { throw new Error('plain'); }]) {
      const { inbound, outbound } = interceptors();
      await inbound![0].execute!({ args: [], headers: {} }, outcome).catch(() => undefined);
      expect(outbound![0].getLogAttributes!({ a: 1 }, (value) => value)).toEqual({ a: 1 });
    }
  });
});
