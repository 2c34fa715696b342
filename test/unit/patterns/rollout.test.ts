import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { inRollout, rolloutBucket, rolloutContext, selectPolicySet } from '../../../src/patterns/rollout.js';

const ids = Array.from({ length: 10_000 }, (_, i) => `op-${i}`);

describe('rolloutBucket', () => {
  it('agrees with the seed formula, int(hashlib.md5(id).hexdigest(), 16) % 100', () => {
    // Values computed with Python's hashlib, so a Python caller and Tollgate bucket alike.
    expect(rolloutBucket('hello')).toBe(94);
    expect(rolloutBucket('op-1')).toBe(78);
    expect(rolloutBucket('req-42')).toBe(14);
  });

  it('is deterministic and in 0..99', () => {
    for (const id of ids.slice(0, 500)) {
      const bucket = rolloutBucket(id);
      expect(Number.isInteger(bucket)).toBe(true);
      expect(bucket).toBeGreaterThanOrEqual(0);
      expect(bucket).toBeLessThan(100);
      expect(rolloutBucket(id)).toBe(bucket);
    }
  });

  it('spreads ids over every bucket', () => {
    expect(new Set(ids.map(rolloutBucket)).size).toBe(100);
  });
});

describe('selectPolicySet', () => {
  it.each([1, 10, 25, 50, 90])('sends about %i%% of 10,000 ids to the strict set', (percentage) => {
    const strict = ids.filter((id) => selectPolicySet(id, percentage, 'strict', 'permissive') === 'strict').length;
    // Binomial(10000, p): six standard deviations either side; the ids are fixed, so this is
    // deterministic, and a broken hash (all in one bucket, or p read as a fraction) falls far outside.
    const p = percentage / 100;
    const sd = Math.sqrt(ids.length * p * (1 - p));
    expect(Math.abs(strict - ids.length * p)).toBeLessThan(6 * sd);
  });

  it('sends nobody at 0% and everybody at 100%', () => {
    expect(ids.some((id) => selectPolicySet(id, 0, 'strict', 'permissive') === 'strict')).toBe(false);
    expect(ids.every((id) => selectPolicySet(id, 100, 'strict', 'permissive') === 'strict')).toBe(true);
  });

  it('only moves ids to strict as the percentage grows', () => {
    const at10 = ids.filter((id) => inRollout(id, 10));
    expect(at10.every((id) => inRollout(id, 25))).toBe(true);
  });

  it('rejects percentages outside 0..100', () => {
    for (const bad of [-1, 100.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => selectPolicySet('op-1', bad, 'strict', 'permissive')).toThrow(RangeError);
    }
  });
});

describe('rolloutContext', () => {
  it('reports the bucket and the side of the rollout', () => {
    expect(rolloutContext('hello', 94)).toEqual({ rollout_bucket: 94, rollout_percentage: 94, rollout_strict: false });
    expect(rolloutContext('hello', 95)).toEqual({ rollout_bucket: 94, rollout_percentage: 95, rollout_strict: true });
  });
});

describe('rollout properties', () => {
  it('is monotonic: raising the percentage moves only operations that were permissive before', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 80 }), fc.double({ min: 0, max: 100, noNaN: true }), fc.double({ min: 0, max: 100, noNaN: true }), (id, a, b) => {
      const [low, high] = a <= b ? [a, b] : [b, a];
      // Strict at the lower percentage implies strict at the higher one.
      return !inRollout(id, low) || inRollout(id, high);
    }), { numRuns: 2_000 });
  });

  it('spreads operation ids uniformly over the 100 buckets (chi-square, 99 degrees of freedom)', () => {
    const counts = new Array<number>(100).fill(0);
    const n = 50_000;
    for (let i = 0; i < n; i++) counts[rolloutBucket(`op-${(i * 2654435761) % 1e9}-${i}`)]++;
    const expected = n / 100;
    const chiSquare = counts.reduce((sum, count) => sum + ((count - expected) ** 2) / expected, 0);
    // The 99.9th percentile of chi-square with 99 degrees of freedom is about 148.2.
    expect(chiSquare).toBeLessThan(148.2);
  });
});
