/** A workflow that redacts the way governedOperation does: proof that the redactor runs in the sandbox. */
import { createRedactor, redact, redactString } from '../../../src/redact.js';

export async function redactsInWorkflow(input: { value: Record<string, unknown>; keys: string[] }) {
  return {
    shared: redact(input.value),
    configured: createRedactor({ keys: input.keys }).redact(input.value),
    message: redactString(`operation failed: ${JSON.stringify(input.value)}`),
  };
}
