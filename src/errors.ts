/**
 * Errors a user can act on. Each carries the exit code the CLI maps it to (DESIGN.md):
 * 2 bad input, 3 infrastructure unreachable. Outcome errors (denied, rejected) live beside
 * the code that raises them and map to 1.
 */
export class TollgateInputError extends Error {
  readonly exitCode = 2;
  constructor(message: string, readonly field?: string) {
    super(message);
    this.name = 'TollgateInputError';
  }
}

export class InfrastructureUnavailableError extends Error {
  readonly exitCode = 3;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InfrastructureUnavailableError';
  }
}
