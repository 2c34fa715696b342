/**
 * A Slack setup problem the operator must fix (no channel, no token). Retrying does not
 * help, so activities should surface it as a non-retryable failure by this name.
 */
export class SlackConfigurationError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'SlackConfigurationError';
  }
}
