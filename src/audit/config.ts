import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { DURATION_HINT, isDuration, parseDuration } from '../duration.js';
import type { ServiceKey } from '../keys.js';
import { defaultAnchorDir, fileAnchorSink, slackAnchorSink, type ChatPostMessageClient } from './anchors.js';
import { AuditTrail, type AuditTrailOptions } from './trail.js';
import { loadAuditKey } from './key.js';
import type { AuditAnchorSink } from './types.js';

const duration = z.string().refine(isDuration, { message: `expected ${DURATION_HINT}` });

/**
 * The `audit:` section of tollgate.yaml, for src/config.ts to embed:
 *
 * ```yaml
 * audit:
 *   checkpointEvery: 1000      # entries between signed checkpoints, at most
 *   checkpointInterval: 30s    # and time between them, at most (a quiet tail is signed by the periodic task)
 *   maintenanceInterval: 5s    # how often the service checkpoints a quiet tail and retries anchors
 *   anchors:
 *     dir: .tollgate/audit-anchors   # append-only JSONL, one file per day (relative to the config)
 *     slackChannel: C0AUDIT          # optional: post each batch's newest checkpoint there
 * ```
 */
export const AuditConfigSchema = z.object({
  checkpointEvery: z.number().int().positive().default(1_000),
  checkpointInterval: duration.default('30s'),
  maintenanceInterval: duration.default('5s'),
  anchors: z.object({
    dir: z.string().min(1).optional(),
    slackChannel: z.string().min(1).optional(),
  }).strict().default({}),
}).strict();
export type AuditConfig = z.output<typeof AuditConfigSchema>;

/**
 * The AuditTrail options a service builds from its config: the key, the checkpoint policy and the
 * anchor sinks (the file sink always; Slack when a channel and a client are given).
 */
export function auditTrailOptions(
  config: AuditConfig,
  deps: { baseDir: string; key?: ServiceKey; slack?: ChatPostMessageClient },
): AuditTrailOptions & { maintenanceIntervalMs: number } {
  const dir = config.anchors.dir === undefined
    ? defaultAnchorDir(deps.baseDir)
    : isAbsolute(config.anchors.dir) ? config.anchors.dir : resolve(deps.baseDir, config.anchors.dir);
  const anchors: AuditAnchorSink[] = [fileAnchorSink(dir)];
  if (config.anchors.slackChannel && deps.slack) anchors.push(slackAnchorSink(deps.slack, config.anchors.slackChannel));
  return {
    key: deps.key,
    checkpoints: { everyEntries: config.checkpointEvery, everySeconds: parseDuration(config.checkpointInterval) / 1000 },
    anchors,
    maintenanceIntervalMs: parseDuration(config.maintenanceInterval),
  };
}

/**
 * The audit trail for a process: over `pool`, with the audit key (`create`: make the key file, as
 * `tollgate start` does for the embedded default) and the configured checkpoints and anchors.
 * Every writer of one deployment must hold the same key: an unsigned entry after signed ones does
 * not verify. Make one per process and share it.
 */
export function openAuditTrail(
  pool: ConstructorParameters<typeof AuditTrail>[0],
  config: { audit: AuditConfig; baseDir: string },
  options: { create?: boolean; slack?: ChatPostMessageClient; logger?: AuditTrailOptions['logger'] } = {},
): { trail: AuditTrail; maintenanceIntervalMs: number } {
  const { maintenanceIntervalMs, ...trailOptions } = auditTrailOptions(config.audit, {
    baseDir: config.baseDir, key: loadAuditKey(config.baseDir, { create: options.create }), slack: options.slack,
  });
  return { trail: new AuditTrail(pool, { ...trailOptions, ...(options.logger ? { logger: options.logger } : {}) }), maintenanceIntervalMs };
}
