/** Human durations such as `90s`, `15m`, `24h`, `7d` used in config, rule metadata and CLI flags. */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/;

export const DURATION_HINT = 'a duration such as "90s", "15m", "24h" or "7d"';

export function isDuration(value: unknown): value is string {
  return typeof value === 'string' && DURATION.test(value.trim());
}

/** Milliseconds in `value`; throws with a hint when it is not a duration. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  const match = typeof value === 'string' ? DURATION.exec(value.trim()) : null;
  if (!match) throw new RangeError(`"${String(value)}" is not ${DURATION_HINT}`);
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
}

export function formatDuration(ms: number): string {
  if (ms % UNIT_MS.d === 0 && ms >= UNIT_MS.d) return `${ms / UNIT_MS.d}d`;
  if (ms % UNIT_MS.h === 0 && ms >= UNIT_MS.h) return `${ms / UNIT_MS.h}h`;
  if (ms % UNIT_MS.m === 0 && ms >= UNIT_MS.m) return `${ms / UNIT_MS.m}m`;
  if (ms % UNIT_MS.s === 0 && ms >= UNIT_MS.s) return `${ms / UNIT_MS.s}s`;
  return `${ms}ms`;
}
