/**
 * The Temporal SDK's logging, routed into the one logger: pass temporalLogger() to
 * `Runtime.install({ logger })` and to `bundleWorkflowCode({ logger })`.
 */
import { EXPECTED_FAILURE_TYPES } from '../operation/contract.js';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger as SdkLogger, LogLevel as SdkLevel, LogMetadata } from '@temporalio/common';
import { logger as rootLogger, type Logger } from '../log.js';
import { FAILURE_TYPE_LOG_KEY, failureTypeOf } from './workflowLogInterceptors.js';

/**
 * For `bundleWorkflowCode({ workflowInterceptorModules: [WORKFLOW_LOG_INTERCEPTORS] })`: puts the
 * failure type into "Workflow failed" lines, which the logger needs to see that a failure was expected.
 */
export const WORKFLOW_LOG_INTERCEPTORS = fileURLToPath(new URL(`./workflowLogInterceptors${extname(fileURLToPath(import.meta.url))}`, import.meta.url));


export interface TemporalLoggerOptions {
  /** Default: the root logger, as component "temporal". */
  log?: Logger;
  /**
   * The SDK's own level below which its lines are dropped. Default WARN: it logs every worker state
   * change and task at INFO and DEBUG, which operators do not need.
   */
  minLevel?: SdkLevel;
  /** Failure types logged as one info line without a stack; default the contract's EXPECTED_FAILURE_TYPES. */
  expectedOutcomeTypes?: readonly string[];
  /** Lines a process knows to be noise for its own shape (an activity-only worker polls no workflows). */
  ignore?: (message: string) => boolean;
}

const RANK: Record<SdkLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };
const PINO_LEVEL = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const satisfies Record<SdkLevel, string>;

/**
 * An implementation of the SDK's Logger interface over pino. The SDK passes the failure of a
 * workflow or activity as `meta.error` ("Workflow failed", "Activity failed", both at WARN); when
 * its type is an expected outcome, that becomes one info line naming the outcome, without a stack.
 */
export function temporalLogger(options: TemporalLoggerOptions = {}): SdkLogger {
  const log = options.log ?? rootLogger.child({ component: 'temporal' });
  const minRank = RANK[options.minLevel ?? 'WARN'];
  const expected = new Set(options.expectedOutcomeTypes ?? EXPECTED_FAILURE_TYPES);

  const write = (level: SdkLevel, message: string, meta?: LogMetadata) => {
    if ((RANK[level] ?? RANK.ERROR) < minRank || options.ignore?.(message)) return;
    const { error, fields } = splitMeta(meta);
    const type = typeof fields[FAILURE_TYPE_LOG_KEY] === 'string' ? fields[FAILURE_TYPE_LOG_KEY] as string : failureTypeOf(error);
    if (error !== undefined && type !== undefined && expected.has(type)) {
      delete fields[FAILURE_TYPE_LOG_KEY];
      log.info({ ...fields, outcome: type }, `${endedMessage(message)}: ${type}: ${errorMessage(error)}`);
      return;
    }
    log[PINO_LEVEL[level] ?? 'error'](error === undefined ? fields : { ...fields, err: error }, message);
  };

  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}

/** The SDK's meta without symbol keys (its nanosecond timestamp), and its error apart, for pino's err serializer. */
function splitMeta(meta: LogMetadata | undefined): { error: unknown; fields: Record<string, unknown> } {
  const fields: Record<string, unknown> = {};
  let error: unknown;
  for (const key of Object.keys(meta ?? {})) {
    if (key === 'error') error = meta![key];
    else fields[key] = meta![key];
  }
  return { error, fields };
}

/** "Workflow failed" -> "Workflow ended": an expected outcome is not a failure of Tollgate's. */
function endedMessage(message: string): string {
  return message.replace(/ failed$/, ' ended');
}

/** The innermost message: an activity's failure wraps the ApplicationFailure that says what happened. */
function errorMessage(error: unknown): string {
  let message = String((error as { message?: unknown })?.message ?? error);
  for (let cause = (error as { cause?: unknown })?.cause, depth = 0; cause && typeof cause === 'object' && depth < 4; cause = (cause as { cause?: unknown }).cause, depth += 1) {
    if (typeof (cause as { message?: unknown }).message === 'string') message = (cause as { message: string }).message;
  }
  return message;
}
