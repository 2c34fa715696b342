import { constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { TollgateInputError } from '../errors.js';
import type { AnchoredCheckpoint } from './trailVerifier.js';
import type { AuditAnchorSink, AuditCheckpoint } from './types.js';

/** The default anchor directory under a config's base directory. */
export const defaultAnchorDir = (baseDir: string) => join(baseDir, '.tollgate', 'audit-anchors');

const ANCHOR_TYPE = 'tollgate.audit.checkpoint';

/** One anchor line: the checkpoint, marked so that a line pasted from elsewhere (Slack) is recognisable. */
export function anchorLine(checkpoint: AuditCheckpoint): string {
  const { seq, hash, at, keyId, signature } = checkpoint;
  return JSON.stringify({ type: ANCHOR_TYPE, seq, hash, at, keyId, signature });
}

const AnchorLineSchema = z.object({
  type: z.literal(ANCHOR_TYPE),
  seq: z.number().int().positive(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  at: z.string(),
  keyId: z.string(),
  signature: z.string(),
}).strict();

const FILE_NAME = /^\d{4}-\d{2}-\d{2}\.jsonl$/;

/**
 * Append-only JSONL files, one per UTC day (`2025-03-10.jsonl`), each line a checkpoint.
 * Opened with O_APPEND for every write (several processes may anchor to one directory and never
 * overwrite each other), each batch written in one call and fsync'd before `write` resolves.
 * Make the directory append-only for the service's user where the platform allows it
 * (`chattr +a`, or a separate volume), and ship the files elsewhere: the service can only add.
 */
export function fileAnchorSink(dir: string, options: { now?: () => Date } = {}): AuditAnchorSink {
  const now = options.now ?? (() => new Date());
  return {
    name: `file:${dir}`,
    async write(checkpoints) {
      if (checkpoints.length === 0) return;
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const file = join(dir, `${now().toISOString().slice(0, 10)}.jsonl`);
      const handle = await open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
      try {
        await handle.write(checkpoints.map((checkpoint) => `${anchorLine(checkpoint)}\n`).join(''));
        await handle.sync();
      } finally {
        await handle.close();
      }
    },
  };
}

/** The part of Slack's Web API client that the Slack sink uses (`WebClient` satisfies it). */
export interface ChatPostMessageClient {
  chat: { postMessage(args: { channel: string; text: string }): Promise<unknown> };
}

/**
 * Posts the newest checkpoint of each batch to a Slack channel: a record that people see and
 * that the database owner cannot edit (restrict who may delete messages in the channel). One
 * post per batch, because each checkpoint covers all before it and Slack limits a channel to
 * about one message a second. `tollgate audit verify --anchors` reads files, so copy a posted
 * line (the code block) into a `.jsonl` file to check against it.
 */
export function slackAnchorSink(client: ChatPostMessageClient, channel: string): AuditAnchorSink {
  return {
    name: `slack:${channel}`,
    async write(checkpoints) {
      const newest = checkpoints[checkpoints.length - 1];
      if (!newest) return;
      await client.chat.postMessage({
        channel,
        text: `Tollgate audit checkpoint: entry ${newest.seq}, hash ${newest.hash.slice(0, 16)}…\n\`\`\`${anchorLine(newest)}\`\`\``,
      });
    },
  };
}

/**
 * The hook for object storage with retention locks (S3 Object Lock in compliance mode, GCS
 * bucket lock, Azure immutable blobs): implement `putObject` with your SDK, creating each object
 * with a retention date, so that not even the bucket's owner can delete or overwrite it before
 * then. For S3: `PutObject { Bucket, Key: key, Body: body, ObjectLockMode: 'COMPLIANCE',
 * ObjectLockRetainUntilDate: retainUntil }` on a bucket created with Object Lock enabled; give
 * the service a role that may put objects and nothing else.
 */
export interface RetainedObjectStore {
  putObject(key: string, body: string, options: { retainUntil: Date; contentType: string }): Promise<void>;
}

/**
 * One object per checkpoint (`<prefix><seq padded>.json`, so listing is in chain order), kept
 * for `retentionDays`. To verify against them, download the objects into a directory as one
 * `.jsonl` file (one line each) and pass it to `tollgate audit verify --anchors`.
 */
export function objectStoreAnchorSink(store: RetainedObjectStore, options: { prefix?: string; retentionDays: number; now?: () => Date }): AuditAnchorSink {
  const prefix = options.prefix ?? 'tollgate/audit-anchors/';
  const now = options.now ?? (() => new Date());
  return {
    name: `object-store:${prefix}`,
    async write(checkpoints) {
      for (const checkpoint of checkpoints) {
        const retainUntil = new Date(now().getTime() + options.retentionDays * 86_400_000);
        await store.putObject(`${prefix}${String(checkpoint.seq).padStart(20, '0')}.json`, `${anchorLine(checkpoint)}\n`, {
          retainUntil, contentType: 'application/json',
        });
      }
    },
  };
}

/**
 * Every checkpoint in a directory of anchor files (any `*.jsonl`, in name order) or in one
 * file. A line that is not a checkpoint is an input error naming file:line: an anchor that no
 * longer parses has been tampered with or damaged, and must not be skipped silently.
 */
export function readAnchors(path: string): AnchoredCheckpoint[] {
  if (!existsSync(path)) throw new TollgateInputError(`--anchors: ${path} does not exist`, '--anchors');
  let files: string[];
  try {
    files = readdirSync(path).filter((file) => FILE_NAME.test(file) || file.endsWith('.jsonl')).sort().map((file) => join(path, file));
  } catch {
    files = [path];
  }
  const anchors: AnchoredCheckpoint[] = [];
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((raw, index) => {
      const line = raw.trim();
      if (line === '') return;
      const where = `${file}:${index + 1}`;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        throw new TollgateInputError(`${where}: not JSON; an anchor line is one checkpoint as \`tollgate\` wrote it`, '--anchors');
      }
      const parsed = AnchorLineSchema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new TollgateInputError(`${where}: not an audit checkpoint: ${issue.path.map(String).join('.') || 'line'}: ${issue.message}`, '--anchors');
      }
      const { type: _type, ...checkpoint } = parsed.data;
      anchors.push({ ...checkpoint, where });
    });
  }
  return anchors;
}
