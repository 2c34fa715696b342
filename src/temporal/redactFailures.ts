/**
 * Activity failures are stored in the workflow's history by the Temporal server, message, stack and
 * details, before any of Tollgate's code sees them again. A handler that fails with "upstream
 * refused key sk_live_…" or a driver error that echoes a DSN would put a secret in the history.
 * Every activity therefore throws its failures through the one redaction policy.
 */
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import { redact, redactString } from '../redact.js';

export function redactedFailure(error: unknown): unknown {
  // Cancellation and other Temporal failures carry no caller text; they must keep their class.
  if (error instanceof TemporalFailure && !(error instanceof ApplicationFailure)) return error;
  if (!(error instanceof Error)) return ApplicationFailure.create({ message: redactString(String(error)) });
  const failure = error instanceof ApplicationFailure
    ? ApplicationFailure.create({ type: error.type ?? undefined, message: redactString(error.message), nonRetryable: error.nonRetryable ?? undefined, details: (error.details ?? []).map((detail) => redact(detail)), nextRetryDelay: error.nextRetryDelay ?? undefined })
    : ApplicationFailure.create({ type: error.name, message: redactString(error.message) });
  failure.stack = error.stack ? redactString(error.stack) : undefined;
  return failure;
}

/** The same activities, each throwing only redacted failures. */
export function withRedactedFailures<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, activity] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await activity(...args);
      } catch (error) {
        throw redactedFailure(error);
      }
    };
  }
  return wrapped as T;
}
