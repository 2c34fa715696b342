import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { canonicalJson } from '../canonicalJson.js';
import type { AuditCheckpoint } from './types.js';

/**
 * What the audit key signs. Each message starts with its own label, so a signature made for one
 * kind of statement can never be passed off as another (an entry signature as a checkpoint, or
 * either as a decision proof made with a different key of the same type).
 */
const ENTRY_LABEL = 'tollgate.audit.entry.v1\n';
const CHECKPOINT_LABEL = 'tollgate.audit.checkpoint.v1\n';

/** The short, stable name of a public key: the first 16 hex digits of sha256 over its SPKI DER. */
export function auditKeyId(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex').slice(0, 16);
}

const entryMessage = (hash: string) => Buffer.from(ENTRY_LABEL + hash, 'utf8');

/** The checkpoint's signed fields, in canonical form. */
export const checkpointMessage = (checkpoint: Omit<AuditCheckpoint, 'signature'>) =>
  Buffer.from(CHECKPOINT_LABEL + canonicalJson({ seq: checkpoint.seq, hash: checkpoint.hash, at: checkpoint.at, keyId: checkpoint.keyId }), 'utf8');

/** The entry's hash covers its position and its predecessor, so signing the hash signs its place in the chain too. */
export function signEntryHash(hash: string, privateKey: KeyObject): string {
  return sign(null, entryMessage(hash), privateKey).toString('base64');
}

const signAsync = promisify(sign);

/**
 * `signEntryHash` on libuv's thread pool: a batch of entries is signed in parallel, off the event
 * loop (an Ed25519 signature costs tens of microseconds, more than hashing the entry).
 */
export async function signEntryHashes(hashes: readonly string[], privateKey: KeyObject): Promise<string[]> {
  return Promise.all(hashes.map(async (hash) => (await signAsync(null, entryMessage(hash), privateKey)).toString('base64')));
}

export function signCheckpoint(checkpoint: Omit<AuditCheckpoint, 'signature'>, privateKey: KeyObject): AuditCheckpoint {
  return { ...checkpoint, signature: sign(null, checkpointMessage(checkpoint), privateKey).toString('base64') };
}

function verifies(message: Buffer, signature: string | null | undefined, publicKey: KeyObject): boolean {
  if (!signature) return false;
  try {
    return verify(null, message, publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

export const entrySignatureValid = (hash: string, signature: string | null | undefined, publicKey: KeyObject): boolean =>
  verifies(entryMessage(hash), signature, publicKey);

export const checkpointSignatureValid = (checkpoint: AuditCheckpoint, publicKey: KeyObject): boolean =>
  verifies(checkpointMessage(checkpoint), checkpoint.signature, publicKey);

const verifyAsync = promisify(verify);

/**
 * Check many entry signatures on libuv's thread pool rather than the event loop: an append that
 * vouches for a stretch of other writers' entries must not stall every other request meanwhile.
 * Resolves to the index of the first that fails, or -1.
 */
export async function firstInvalidEntrySignature(
  entries: readonly { hash: string; signature?: string | null }[],
  publicKey: KeyObject,
): Promise<number> {
  const results = await Promise.all(entries.map(async ({ hash, signature }) => {
    if (!signature) return false;
    try {
      return await verifyAsync(null, entryMessage(hash), publicKey, Buffer.from(signature, 'base64'));
    } catch {
      return false;
    }
  }));
  return results.indexOf(false);
}
