import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  TrailVerifier, anchorLine, auditKeyId, checkpointSignatureValid, entryHash, entrySignatureValid, loadAuditKey, objectStoreAnchorSink,
  parseAuditPublicKey, signCheckpoint, signEntryHash, slackAnchorSink, toJsonLine, verifyJsonl, type AnchoredCheckpoint, type AuditEntry,
} from '../../../src/audit/index.js';
import { buildChain } from './chainFixtures.js';

const keys = () => generateKeyPairSync('ed25519');

/** A chain as a keyed trail writes it: every entry signed. */
function signedChain(count: number, privateKey = keys().privateKey): AuditEntry[] {
  return buildChain(count).map((entry) => ({ ...entry, signature: signEntryHash(entry.hash, privateKey) }));
}

describe('audit signatures', () => {
  it('an entry signature and a checkpoint signature verify only with the key that made them, over what they sign', () => {
    const { privateKey, publicKey } = keys();
    const other = keys();
    const hash = 'a'.repeat(64);
    const signature = signEntryHash(hash, privateKey);
    expect(entrySignatureValid(hash, signature, publicKey)).toBe(true);
    expect(entrySignatureValid('b'.repeat(64), signature, publicKey)).toBe(false);
    expect(entrySignatureValid(hash, signature, other.publicKey)).toBe(false);
    expect(entrySignatureValid(hash, undefined, publicKey)).toBe(false);
    expect(entrySignatureValid(hash, 'not base64 at all!', publicKey)).toBe(false);

    const checkpoint = signCheckpoint({ seq: 5, hash, at: '2025-03-10T10:00:00.000Z', keyId: auditKeyId(publicKey) }, privateKey);
    expect(checkpointSignatureValid(checkpoint, publicKey)).toBe(true);
    for (const changed of [{ seq: 6 }, { hash: 'c'.repeat(64) }, { at: '2025-03-10T10:00:01.000Z' }, { keyId: 'x' }]) {
      expect(checkpointSignatureValid({ ...checkpoint, ...changed }, publicKey)).toBe(false);
    }
    // The two kinds are labelled apart: an entry signature is no checkpoint signature, whatever the bytes.
    expect(checkpointSignatureValid({ ...checkpoint, signature }, publicKey)).toBe(false);
  });

  it('key ids are 16 hex digits, the same for the same key, different for another', () => {
    const { publicKey } = keys();
    expect(auditKeyId(publicKey)).toMatch(/^[0-9a-f]{16}$/);
    expect(auditKeyId(publicKey)).toBe(auditKeyId(publicKey));
    expect(auditKeyId(keys().publicKey)).not.toBe(auditKeyId(publicKey));
  });
});

describe('audit key loading', () => {
  it('finds no key where none is configured, creates the 0600 file when asked, and parses --public-key forms', () => {
    const base = mkdtempSync(join(tmpdir(), 'tollgate-audit-key-'));
    expect(loadAuditKey(base, { env: {} })).toBeUndefined();
    const created = loadAuditKey(base, { create: true, env: {} })!;
    expect(created.privateKey).toBeDefined();
    expect(statSync(join(base, '.tollgate', 'audit-key.pem')).mode & 0o777).toBe(0o600);
    expect(auditKeyId(loadAuditKey(base, { env: {} })!.publicKey)).toBe(auditKeyId(created.publicKey));
    const publicOnly = loadAuditKey(mkdtempSync(join(tmpdir(), 'tollgate-audit-key-')), { env: { TOLLGATE_AUDIT_PUBLIC_KEY: created.publicKeyBase64 } })!;
    expect(publicOnly.privateKey).toBeUndefined();

    expect(auditKeyId(parseAuditPublicKey(created.publicKeyBase64))).toBe(auditKeyId(created.publicKey));
    const pem = join(base, 'audit.pub');
    writeFileSync(pem, created.publicKey.export({ format: 'pem', type: 'spki' }));
    expect(auditKeyId(parseAuditPublicKey(`@${pem}`))).toBe(auditKeyId(created.publicKey));
    expect(() => parseAuditPublicKey('@/nonexistent.pub')).toThrow('--public-key: cannot read /nonexistent.pub');
    expect(() => parseAuditPublicKey('bm90IGEga2V5')).toThrow(/^--public-key: not an Ed25519 public key/);
  });
});

describe('TrailVerifier without a database', () => {
  const { privateKey, publicKey } = keys();
  const keyId = auditKeyId(publicKey);
  const chain = signedChain(12, privateKey).map((entry) => ({ ...entry, keyId }));
  const checkpointAt = (seq: number) => signCheckpoint({ seq, hash: chain[seq - 1].hash, at: '2025-03-10T10:00:00.000Z', keyId }, privateKey);
  const run = async (entries: readonly AuditEntry[], options: ConstructorParameters<typeof TrailVerifier>[0] = {}) => {
    const verifier = new TrailVerifier({ publicKey, ...options });
    for (const entry of entries) await verifier.add(entry);
    return verifier.result();
  };

  it('trusts what a valid checkpoint covers and checks the tail one by one', async () => {
    const result = await run(chain, { checkpoints: [checkpointAt(4), checkpointAt(8)] });
    expect(result).toMatchObject({ ok: true, signatures: { checked: true, keyId, checkpoints: 2, lastCheckpoint: { seq: 8 }, tail: { from: 9, to: 12, entries: 4, signed: true } } });
  });

  it('names a re-hashed entry inside a stretch whose checkpoint the chain no longer reaches', async () => {
    // Entry 6 changed and everything after re-hashed: links and hashes are consistent again.
    const forged: AuditEntry[] = [];
    let prevHash = chain[4].hash;
    for (const entry of chain.slice(5)) {
      const changed = { ...entry, prevHash, ...(entry.seq === 6 ? { outcome: 'failed' } : {}) };
      const { hash: _old, signature: _sig, keyId: _id, ...unsealed } = changed;
      const hash = entryHash(unsealed);
      forged.push({ ...changed, hash });
      prevHash = hash;
    }
    const result = await run([...chain.slice(0, 5), ...forged], { checkpoints: [checkpointAt(4), checkpointAt(8)] });
    expect(result.firstBroken).toEqual({ seq: 6, reason: `entry 6 was altered, inserted or moved: its signature does not verify with the audit key ${keyId}` });
    expect(result.problems?.[1]).toMatchObject({ seq: 8, reason: expect.stringMatching(/^checkpoint 8 \(signed .*\) records hash \w{12}… at 8, but the chain has \w{12}… at 8$/) });
  });

  it('names an anchor that is missing from the database, and one the chain ends before', async () => {
    const anchored = (seq: number, line: number): AnchoredCheckpoint => ({ ...checkpointAt(seq), where: `a.jsonl:${line}` });
    const result = await run(chain.slice(0, 10), {
      checkpoints: [checkpointAt(4)], anchors: { source: 'a', checkpoints: [anchored(4, 1), anchored(8, 2), anchored(12, 3)] },
    });
    expect(result.anchors).toEqual({ source: 'a', read: 3, lastSeq: 12, pending: 0 });
    expect(result.firstBroken).toEqual({ seq: 8, anchor: 'a.jsonl:2', reason: 'anchor a.jsonl:2: checkpoint 8 is missing from the database (deleted)' });
    expect(result.problems).toContainEqual({
      seq: 11, anchor: 'a.jsonl:3', reason: expect.stringMatching(/^anchor a\.jsonl:3: seq 12 hash \w{12}…, but the chain ends at 10: entries 11\.\.12 were deleted$/),
    });
  });

  it('without a public key checks hashes only and says so', async () => {
    const verifier = new TrailVerifier({ checkpoints: [checkpointAt(4)] });
    for (const entry of chain) await verifier.add(entry);
    expect(await verifier.result()).toMatchObject({ ok: true, signatures: { checked: false, checkpoints: 0, tail: { from: 5, to: 12, signed: false } } });
  });
});

describe('verifyJsonl with a public key', () => {
  it('checks every entry signature of an export, and names the first that fails', async () => {
    const { privateKey, publicKey } = keys();
    const chain = signedChain(5, privateKey);
    const lines = chain.map(toJsonLine).join('\n');
    expect(await verifyJsonl(lines, { publicKey })).toMatchObject({ ok: true, entries: 5, signatures: { checked: true, tail: { entries: 5, signed: true } } });
    const unsigned = chain.map((entry, i) => (i === 2 ? { ...entry, signature: undefined } : entry)).map(toJsonLine).join('\n');
    expect((await verifyJsonl(unsigned, { publicKey })).firstBroken).toMatchObject({ seq: 3, reason: expect.stringMatching(/^entry 3 is unsigned/) });
    expect((await verifyJsonl(lines, { publicKey: keys().publicKey })).firstBroken).toMatchObject({ seq: 1, reason: expect.stringMatching(/signature does not verify/) });
    // Without a key an export verifies as before, and says nothing about signatures.
    expect(await verifyJsonl(unsigned)).toEqual({ ok: true, entries: 5, first: { seq: 1, prevHash: chain[0].prevHash }, last: { seq: 5, hash: chain[4].hash } });
  });
});

describe('anchor sinks', () => {
  const { privateKey, publicKey } = keys();
  const checkpoint = (seq: number) => signCheckpoint({ seq, hash: String(seq).padStart(64, '0'), at: '2025-03-10T10:00:00.000Z', keyId: auditKeyId(publicKey) }, privateKey);

  it('Slack: posts the newest checkpoint of a batch as a line verify can read back', async () => {
    const posts: { channel: string; text: string }[] = [];
    const sink = slackAnchorSink({ chat: { postMessage: async (message) => { posts.push(message); return { ok: true }; } } }, 'C0AUDIT');
    await sink.write([checkpoint(1), checkpoint(2)]);
    await sink.write([]);
    expect(sink.name).toBe('slack:C0AUDIT');
    expect(posts).toHaveLength(1);
    expect(posts[0].channel).toBe('C0AUDIT');
    expect(posts[0].text).toContain(`\`\`\`${anchorLine(checkpoint(2))}\`\`\``);
  });

  it('object storage: one object per checkpoint, in seq order, each with a retention date', async () => {
    const puts: { key: string; body: string; retainUntil: Date }[] = [];
    const sink = objectStoreAnchorSink({ putObject: async (key, body, options) => { puts.push({ key, body, retainUntil: options.retainUntil }); } },
      { retentionDays: 400, now: () => new Date('2025-03-10T00:00:00Z') });
    await sink.write([checkpoint(9), checkpoint(10)]);
    expect(puts.map((put) => put.key)).toEqual(['tollgate/audit-anchors/00000000000000000009.json', 'tollgate/audit-anchors/00000000000000000010.json']);
    expect(puts[1].body).toBe(`${anchorLine(checkpoint(10))}\n`);
    expect(puts[0].retainUntil.toISOString()).toBe('2026-04-14T00:00:00.000Z');
  });
});

describe('audit config', () => {
  it('defaults to 1,000 entries / 30 s and the anchor directory beside the config; adds Slack when configured', async () => {
    const { AuditConfigSchema, auditTrailOptions } = await import('../../../src/audit/index.js');
    const defaults = auditTrailOptions(AuditConfigSchema.parse({}), { baseDir: '/srv/tollgate' });
    expect(defaults).toMatchObject({ checkpoints: { everyEntries: 1000, everySeconds: 30 }, maintenanceIntervalMs: 5000 });
    expect(defaults.anchors?.map((sink) => sink.name)).toEqual(['file:/srv/tollgate/.tollgate/audit-anchors']);
    const slack = { chat: { postMessage: async () => ({}) } };
    const custom = auditTrailOptions(AuditConfigSchema.parse({ checkpointEvery: 50, checkpointInterval: '2m', anchors: { dir: 'anchors', slackChannel: 'C1' } }),
      { baseDir: '/srv/tollgate', slack });
    expect(custom.checkpoints).toEqual({ everyEntries: 50, everySeconds: 120 });
    expect(custom.anchors?.map((sink) => sink.name)).toEqual(['file:/srv/tollgate/anchors', 'slack:C1']);
    expect(() => AuditConfigSchema.parse({ checkpointInterval: 'soon' })).toThrow(/expected a duration/);
  });
});

describe('startAuditMaintenance', () => {
  it('runs maintain() on its interval, keeps going after a failure, and makes a last run on stop()', async () => {
    const { startAuditMaintenance } = await import('../../../src/audit/index.js');
    let runs = 0;
    const trail = { maintain: async () => { runs++; if (runs === 1) throw new Error('database blinked'); return {}; } };
    const warnings: string[] = [];
    const logger = { warn: (_: unknown, message: string) => warnings.push(message) };
    const maintenance = startAuditMaintenance(trail as never, { intervalMs: 10, logger: logger as never });
    await vi.waitFor(() => expect(runs).toBeGreaterThanOrEqual(2), { timeout: 30_000 });
    const before = runs;
    expect(warnings[0]).toBe('audit maintenance failed; retried next tick');
    await maintenance.stop();
    const after = runs;
    expect(after).toBeGreaterThan(before);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(runs).toBe(after);
  });
});
