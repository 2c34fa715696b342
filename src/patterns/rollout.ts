import { createHash } from 'node:crypto';

/**
 * Gradual rollout of a stricter policy set (seed: GradualGovernanceRollout). The bucket is a
 * hash of the request id, so a retried request keeps its policy set. Uses node:crypto: call it
 * from activities or the client, never from workflow code.
 */

/** 0..99, stable for a given id: the seed's `int(md5(id), 16) % 100`. */
export function rolloutBucket(requestId: string): number {
  const digest = createHash('md5').update(requestId, 'utf8').digest('hex');
  return Number(BigInt(`0x${digest}`) % 100n);
}

function checkPercentage(percentage: number): void {
  if (!Number.isFinite(percentage) || percentage < 0 || percentage > 100) {
    throw new RangeError(`rollout percentage must be between 0 and 100, got ${percentage}`);
  }
}

/** True when the request falls in the first `percentage` percent of buckets. */
export function inRollout(requestId: string, percentage: number): boolean {
  checkPercentage(percentage);
  return rolloutBucket(requestId) < percentage;
}

/**
 * The strict set for `percentage`% of request ids, the permissive one for the rest. Raising
 * the percentage only moves ids from permissive to strict, never back.
 */
export function selectPolicySet<T>(requestId: string, percentage: number, strict: T, permissive: T): T {
  return inRollout(requestId, percentage) ? strict : permissive;
}

export interface RolloutContext {
  rollout_bucket: number;
  rollout_percentage: number;
  rollout_strict: boolean;
  [key: string]: unknown;
}

/** Context keys so audit records and rules can see which side of the rollout a request was on. */
export function rolloutContext(requestId: string, percentage: number): RolloutContext {
  checkPercentage(percentage);
  const bucket = rolloutBucket(requestId);
  return { rollout_bucket: bucket, rollout_percentage: percentage, rollout_strict: bucket < percentage };
}
