import { TollgateInputError } from '../errors.js';

/**
 * An entry `append` refuses (unknown type, missing field, bad timestamp). A caller's bug, not
 * an outage: retrying cannot help, so activities should fail it as non-retryable.
 */
export class InvalidAuditEntryError extends TollgateInputError {
  constructor(message: string, field?: string) {
    super(message, field);
    this.name = 'InvalidAuditEntryError';
  }
}

/** The audit tables are not where the chain needs them (head row missing: migration 003 not applied). */
export class AuditStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditStoreError';
  }
}
