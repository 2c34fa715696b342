/**
 * Workflow interceptors (bundled into the workflow sandbox) that put a failed workflow's failure
 * type into the SDK's "Workflow failed" log line. The SDK hands that line's error to the worker's
 * logger through postMessage, and the structured clone drops everything but message, stack and
 * cause, so without this the logger cannot tell a denial (an expected outcome) from a fault.
 */
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';

/** The log attribute that carries the failure type (`PolicyViolation`); temporalLogger() reads it. */
export const FAILURE_TYPE_LOG_KEY = 'failureType';

/** The ApplicationFailure type of an error, or of the failure it wraps (an activity's or a child's). */
export function failureTypeOf(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 4; current = (current as { cause?: unknown }).cause, depth += 1) {
    const type = (current as { type?: unknown }).type;
    if (typeof type === 'string') return type;
  }
  return undefined;
}

export const interceptors: WorkflowInterceptorsFactory = () => {
  // One factory call per workflow execution, so this is per run; set only once the run has failed.
  let failureType: string | undefined;
  return {
    inbound: [{
      async execute(input, next) {
        try {
          return await next(input);
        } catch (error) {
          failureType = failureTypeOf(error);
          throw error;
        }
      },
    }],
    outbound: [{
      getLogAttributes(input, next) {
        const attributes = next(input);
        return failureType === undefined ? attributes : { ...attributes, [FAILURE_TYPE_LOG_KEY]: failureType };
      },
    }],
  };
};
