/** What a redacted secret reads as, in every sink. */
export const REDACTED = '[REDACTED]';
