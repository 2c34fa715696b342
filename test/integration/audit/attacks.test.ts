/**
 * The database owner's attacks on the audit trail (issue 10), each made through SQL with every
 * trigger out of the way, as an owner can. Each must fail `verify`, naming the first entry that
 * was changed or the anchor the chain no longer reaches.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AuditTrail, auditKeyId, entryHash, fileAnchorSink, readAnchors, signCheckpoint, signEntryHash, type AuditAnchorSink, type AuditCheckpoint,
  type AuditEntryInput, type UnsealedAuditEntry,
} from '../../../src/audit/index.js';
import type { ServiceKey } from '../../../src/keys.js';
import { describeEachDatabase } from '../../support/databases.js';

function serviceKey(): ServiceKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey, source: 'test', publicKeyBase64: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') };
}

const TABLES = ['audit_entries', 'audit_chain_head', 'audit_checkpoints', 'audit_anchor_cursors'];

/** Run `work` as an owner who has switched every trigger off, and switch them back on after. */
async function asOwner(pool: pg.Pool, work: () => Promise<unknown>): Promise<void> {
  for (const table of TABLES) await pool.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
  try {
    await work();
  } finally {
    for (const table of TABLES) await pool.query(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
  }
}

interface Row {
  seq: string; entry_key: string; at: Date; type: string; operation_id: string | null; actor: string | null; action: string | null;
  resource: string | null; outcome: string | null; rule: string | null; data: Record<string, unknown>; prev_hash: string; hash: string;
  signature: string | null; key_id: string | null;
}

const unsealed = (row: Row, seq: number, prevHash: string): UnsealedAuditEntry => ({
  seq, key: row.entry_key, at: row.at.toISOString(), type: row.type, operationId: row.operation_id, actor: row.actor, action: row.action,
  resource: row.resource, outcome: row.outcome, rule: row.rule, data: row.data, prevHash,
});

/**
 * What an owner who knows the hashing does after changing rows: recompute every hash and link
 * from `from` on, so the chain is consistent again, and point the head at the new end. The
 * signatures stay as they were (or are made with `resign`, the attacker's own key).
 */
async function rehashFrom(pool: pg.Pool, from: number, resign?: ServiceKey): Promise<void> {
  const { rows } = await pool.query<Row>('SELECT * FROM audit_entries WHERE seq >= $1 ORDER BY seq', [from]);
  const before = await pool.query<{ hash: string }>('SELECT hash FROM audit_entries WHERE seq = $1', [from - 1]);
  let prevHash = before.rows[0]?.hash ?? '0'.repeat(64);
  let last = from - 1;
  for (const row of rows) {
    const seq = Number(row.seq);
    const hash = entryHash(unsealed(row, seq, prevHash));
    const signature = resign ? signEntryHash(hash, resign.privateKey!) : row.signature;
    const keyId = resign ? auditKeyId(resign.publicKey) : row.key_id;
    await pool.query('UPDATE audit_entries SET prev_hash = $1, hash = $2, signature = $3, key_id = $4 WHERE seq = $5', [prevHash, hash, signature, keyId, seq]);
    prevHash = hash;
    last = seq;
  }
  await pool.query('UPDATE audit_chain_head SET last_seq = $1, last_hash = $2', [last, prevHash]);
}

const vote = (i: number, decision: 'approve' | 'reject' = 'approve'): AuditEntryInput => ({
  key: `op-${i}:approval_vote:bob`, type: 'approval_vote', operationId: `op-${i}`, actor: 'bob', outcome: decision,
  action: 'data:export', resource: `dataset://phi/${i}`, at: new Date(Date.parse('2025-03-10T10:00:00Z') + i * 60_000),
});

describeEachDatabase('audit trail against its database owner', (db) => {
  let key: ServiceKey;
  let anchorDir: string;
  let trail: AuditTrail;
  const anchors = () => ({ source: anchorDir, checkpoints: readAnchors(anchorDir) });
  const entryAt = async (seq: number) => (await db().pool.query<Row>('SELECT * FROM audit_entries WHERE seq = $1', [seq])).rows[0];

  beforeEach(async () => {
    await asOwner(db().pool, async () => {
      await db().pool.query('TRUNCATE audit_entries, audit_checkpoints, audit_anchor_cursors');
      await db().pool.query(`UPDATE audit_chain_head SET last_seq = 0, last_hash = repeat('0', 64), checkpoint_seq = 0, checkpoint_at = NULL`);
    });
    key = serviceKey();
    anchorDir = mkdtempSync(join(tmpdir(), 'tollgate-anchors-'));
    trail = new AuditTrail(db().pool, { key, checkpoints: { everyEntries: 5, everySeconds: 3600 }, anchors: [fileAnchorSink(anchorDir)] });
    // 23 entries, one append each as the workflow writes them; the vote at 7 is a reject.
    for (let i = 1; i <= 23; i++) await trail.append(vote(i, i === 7 ? 'reject' : 'approve'));
    await trail.anchor();
  });

  it('a clean trail verifies: checkpoints every 5 entries, all anchored, the tail signed entry by entry', async () => {
    expect((await trail.checkpoints()).map((c) => c.seq)).toEqual([1, 6, 11, 16, 21]);
    expect(readAnchors(anchorDir).map((a) => a.seq)).toEqual([1, 6, 11, 16, 21]);
    const result = await trail.verify({ anchors: anchors() });
    expect(result).toMatchObject({
      ok: true, entries: 23,
      signatures: { checked: true, keyId: auditKeyId(key.publicKey), checkpoints: 5, lastCheckpoint: { seq: 21 }, tail: { from: 22, to: 23, entries: 2, signed: true } },
      anchors: { source: anchorDir, read: 5, lastSeq: 21, pending: 0 },
    });
    expect(result.problems).toBeUndefined();
  });

  it('(1) a forged, correctly hashed vote appended with the head moved forward is named: it is unsigned', async () => {
    const last = await entryAt(23);
    await asOwner(db().pool, async () => {
      const forged = { ...unsealed(last, 24, last.hash), key: 'op-99:approval_vote:mallory', actor: 'mallory', operationId: 'op-99' };
      const hash = entryHash(forged);
      await db().pool.query(
        `INSERT INTO audit_entries (seq, entry_key, at, type, operation_id, actor, action, resource, outcome, rule, data, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [24, forged.key, forged.at, forged.type, forged.operationId, forged.actor, forged.action, forged.resource, forged.outcome, forged.rule,
          JSON.stringify(forged.data), forged.prevHash, hash]);
      await db().pool.query('UPDATE audit_chain_head SET last_seq = 24, last_hash = $1', [hash]);
    });
    expect((await trail.verify({ anchors: anchors() })).firstBroken).toEqual({
      seq: 24, reason: `entry 24 is unsigned: no holder of the audit key ${auditKeyId(key.publicKey)} wrote it (inserted, or re-written without its signature)`,
    });

    // Appends go on past the next checkpoint boundary; the writer will not vouch for the forgery.
    for (let i = 30; i < 40; i++) await trail.append(vote(i));
    expect((await trail.checkpoints()).map((c) => c.seq)).toEqual([1, 6, 11, 16, 21, 23]);
    expect((await trail.verify({ anchors: anchors() })).firstBroken).toMatchObject({ seq: 24, reason: expect.stringMatching(/^entry 24 is unsigned/) });
  });

  it('(1) a forged vote inserted in the middle, later entries renumbered and re-hashed, is named', async () => {
    await asOwner(db().pool, async () => {
      await db().pool.query('UPDATE audit_entries SET seq = seq + 1000 WHERE seq >= 8');
      await db().pool.query('UPDATE audit_entries SET seq = seq - 999 WHERE seq >= 1008');
      const at8 = await entryAt(9);
      await db().pool.query(
        `INSERT INTO audit_entries (seq, entry_key, at, type, operation_id, actor, action, resource, outcome, rule, data, prev_hash, hash)
         VALUES (8, 'op-7:approval_vote:carol', $1, 'approval_vote', 'op-7', 'carol', 'data:export', 'dataset://phi/7', 'approve', NULL, '{}', '', '')`, [at8.at]);
      await rehashFrom(db().pool, 8);
    });
    const result = await trail.verify({ anchors: anchors() });
    expect(result.firstBroken).toMatchObject({ seq: 8, reason: expect.stringMatching(/^entry 8 is unsigned/) });
    expect(result.problems?.map((p) => p.reason)).toContainEqual(expect.stringMatching(/^anchor .*:3: seq 11 hash \w{12}…, but the chain has \w{12}… at 11$/));
  });

  it('(2) triggers off, a reject flipped to approve, everything after re-hashed and the head rewritten: entry 7 is named', async () => {
    expect((await entryAt(7)).outcome).toBe('reject');
    await asOwner(db().pool, async () => {
      await db().pool.query(`UPDATE audit_entries SET outcome = 'approve' WHERE seq = 7`);
      await rehashFrom(db().pool, 7);
    });
    const result = await trail.verify({ anchors: anchors() });
    expect(result.firstBroken).toEqual({
      seq: 7, reason: `entry 7 was altered, inserted or moved: its signature does not verify with the audit key ${auditKeyId(key.publicKey)}`,
    });
    // Without the public key the chain alone looks whole; the anchors outside the database do not agree.
    const keyless = await new AuditTrail(db().pool).verify({ anchors: anchors() });
    expect(keyless.ok).toBe(false);
    expect(keyless.firstBroken?.reason).toMatch(new RegExp(`^anchor ${anchorDir}/\\d{4}-\\d{2}-\\d{2}\\.jsonl:3: seq 11 hash \\w{12}…, but the chain has \\w{12}… at 11$`));
    expect(keyless.firstBroken).toMatchObject({ seq: 11, anchor: expect.stringMatching(/\.jsonl:3$/) });
  });

  it('(3) the last entries deleted, with their checkpoints, and the head rewound: the anchor the chain no longer reaches is named', async () => {
    const at18 = await entryAt(18);
    await asOwner(db().pool, async () => {
      await db().pool.query('DELETE FROM audit_entries WHERE seq > 18');
      await db().pool.query('DELETE FROM audit_checkpoints WHERE seq > 18');
      await db().pool.query('UPDATE audit_chain_head SET last_seq = 18, last_hash = $1, checkpoint_seq = 16', [at18.hash]);
    });
    const result = await trail.verify({ anchors: anchors() });
    expect(result.firstBroken).toMatchObject({
      seq: 19,
      anchor: expect.stringMatching(/\.jsonl:5$/),
      reason: expect.stringMatching(/^anchor .*\.jsonl:5: seq 21 hash \w{12}…, but the chain ends at 18: entries 19\.\.21 were deleted$/),
    });
    expect(result.problems?.map((p) => p.reason)).toContainEqual(expect.stringMatching(/checkpoint 21 is missing from the database \(deleted\)$/));
  });

  it('(4) re-signed with a key the attacker made: the first re-signed entry and the forged checkpoints are named', async () => {
    const attacker = serviceKey();
    await asOwner(db().pool, async () => {
      await db().pool.query(`UPDATE audit_entries SET outcome = 'approve' WHERE seq = 7`);
      await rehashFrom(db().pool, 7, attacker);
      const { rows } = await db().pool.query<{ seq: string }>('SELECT seq FROM audit_checkpoints');
      for (const { seq } of rows) {
        const at = await entryAt(Number(seq));
        const forged: AuditCheckpoint = signCheckpoint({ seq: Number(seq), hash: at.hash, at: new Date().toISOString(), keyId: auditKeyId(attacker.publicKey) }, attacker.privateKey!);
        await db().pool.query('UPDATE audit_checkpoints SET hash = $1, key_id = $2, signature = $3 WHERE seq = $4', [forged.hash, forged.keyId, forged.signature, seq]);
      }
    });
    // The verifier is given the real public key, as an auditor who does not trust the database would.
    const auditor = new AuditTrail(db().pool);
    const result = await auditor.verify({ publicKey: key.publicKey, anchors: anchors() });
    expect(result.firstBroken).toEqual({
      seq: 7,
      reason: `entry 7 is signed by key ${auditKeyId(attacker.publicKey)}, not the audit key ${auditKeyId(key.publicKey)} (re-signed with another key, or verified with the wrong public key)`,
    });
    expect(result.problems?.map((p) => p.reason)).toContainEqual(
      `checkpoint 11 is signed by key ${auditKeyId(attacker.publicKey)}, not the audit key ${auditKeyId(key.publicKey)} (forged, or signed with another key)`);
    expect(result.signatures).toMatchObject({ checked: true, checkpoints: 0 });
  });

  it('(5) two entries reordered and the chain re-linked: the first moved entry is named', async () => {
    await asOwner(db().pool, async () => {
      await db().pool.query('UPDATE audit_entries SET seq = 1012 WHERE seq = 12');
      await db().pool.query('UPDATE audit_entries SET seq = 12 WHERE seq = 13');
      await db().pool.query('UPDATE audit_entries SET seq = 13 WHERE seq = 1012');
      await rehashFrom(db().pool, 12);
    });
    const result = await trail.verify({ anchors: anchors() });
    expect(result.firstBroken).toMatchObject({ seq: 12, reason: expect.stringMatching(/^entry 12 was altered, inserted or moved: its signature does not verify/) });
  });

  it('refuses an INSERT that does not come from the trail, and edits of checkpoints, through the ordinary path', async () => {
    const last = await entryAt(23);
    await expect(db().pool.query(
      `INSERT INTO audit_entries (seq, entry_key, at, type, prev_hash, hash) VALUES (24, 'stray', now(), 'approval_vote', $1, 'x')`, [last.hash]))
      .rejects.toThrow(/audit entry 24 is past the chain head \(23\): entries are appended by the audit trail only/);
    await expect(db().pool.query('UPDATE audit_checkpoints SET hash = $1 WHERE seq = 21', ['0'.repeat(64)])).rejects.toThrow(/append-only/);
    await expect(db().pool.query('DELETE FROM audit_checkpoints')).rejects.toThrow(/append-only/);
    expect((await trail.verify({ anchors: anchors() })).ok).toBe(true);
  });
});

describeEachDatabase('audit checkpoints and anchoring', (db) => {
  beforeEach(async () => {
    await asOwner(db().pool, async () => {
      await db().pool.query('TRUNCATE audit_entries, audit_checkpoints, audit_anchor_cursors');
      await db().pool.query(`UPDATE audit_chain_head SET last_seq = 0, last_hash = repeat('0', 64), checkpoint_seq = 0, checkpoint_at = NULL`);
    });
  });

  it('a trail without a private key appends, writes no checkpoints, and verify says the tail is unsigned', async () => {
    const keyless = new AuditTrail(db().pool);
    for (let i = 1; i <= 3; i++) await keyless.append(vote(i));
    expect(await keyless.checkpoints()).toEqual([]);
    expect(await keyless.verify()).toMatchObject({
      ok: true, entries: 3, signatures: { checked: false, checkpoints: 0, tail: { from: 1, to: 3, entries: 3, signed: false } },
    });
    // Whoever holds the public key will not take unsigned entries for the service's.
    const withKey = await keyless.verify({ publicKey: serviceKey().publicKey });
    expect(withKey.firstBroken).toMatchObject({ seq: 1, reason: expect.stringMatching(/^entry 1 is unsigned/) });
  });

  it('checkpoints a quiet tail once the last checkpoint is older than everySeconds, at the next append or maintain()', async () => {
    let clock = Date.parse('2025-03-10T10:00:00Z');
    const key = serviceKey();
    const trail = new AuditTrail(db().pool, { key, now: () => new Date(clock), checkpoints: { everyEntries: 100, everySeconds: 60 } });
    await trail.append(vote(1));
    await trail.append(vote(2));
    expect((await trail.checkpoints()).map((c) => c.seq)).toEqual([1]);
    clock += 61_000;
    await trail.append(vote(3));
    expect((await trail.checkpoints()).map((c) => [c.seq, c.at])).toEqual([[1, '2025-03-10T10:00:00.000Z'], [3, '2025-03-10T10:01:01.000Z']]);
    await trail.append(vote(4));
    expect(await trail.maintain()).toEqual({});
    clock += 61_000;
    expect(await trail.maintain()).toMatchObject({ checkpoint: { seq: 4, keyId: auditKeyId(key.publicKey) } });
    expect(await trail.verify()).toMatchObject({ ok: true, signatures: { checkpoints: 3, lastCheckpoint: { seq: 4 } } });
    expect((await trail.verify()).signatures?.tail).toBeUndefined();
  });

  it('a failing anchor sink loses nothing: checkpoints stay in SQL, the cursor waits, and the next run delivers them', async () => {
    const delivered: AuditCheckpoint[] = [];
    let up = false;
    const flaky: AuditAnchorSink = {
      name: 'flaky',
      async write(checkpoints) {
        if (!up) throw new Error('bucket unreachable');
        delivered.push(...checkpoints);
      },
    };
    const trail = new AuditTrail(db().pool, { key: serviceKey(), checkpoints: { everyEntries: 2, everySeconds: 3600 }, anchors: [flaky] });
    for (let i = 1; i <= 6; i++) await trail.append(vote(i));
    await trail.anchor();
    expect(delivered).toEqual([]);
    const { rows } = await db().pool.query('SELECT last_seq, last_error FROM audit_anchor_cursors WHERE sink = $1', ['flaky']);
    expect(rows).toEqual([{ last_seq: '0', last_error: 'bucket unreachable' }]);
    expect((await trail.query()).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    up = true;
    await trail.anchor();
    expect(delivered.map((c) => c.seq)).toEqual([1, 3, 5]);
    expect(delivered).toEqual(await trail.checkpoints());
    await trail.anchor();
    expect(delivered).toHaveLength(3);
  });

  it('the file sink appends one JSON line per checkpoint, to a file per day', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-anchors-'));
    const trail = new AuditTrail(db().pool, {
      key: serviceKey(), checkpoints: { everyEntries: 1, everySeconds: 3600 }, anchors: [fileAnchorSink(dir, { now: () => new Date('2025-03-10T23:00:00Z') })],
    });
    await trail.append([vote(1), vote(2)]);
    await trail.append(vote(3));
    await trail.anchor();
    const lines = readFileSync(join(dir, '2025-03-10.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((line) => [line.type, line.seq])).toEqual([['tollgate.audit.checkpoint', 2], ['tollgate.audit.checkpoint', 3]]);
    expect(lines[1]).toEqual({ type: 'tollgate.audit.checkpoint', ...(await trail.checkpoints())[1] });
  });
});

describe('anchor files that do not parse', () => {
  it('name the file and line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-anchors-'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, '2025-03-10.jsonl'), '{"type":"tollgate.audit.checkpoint","seq":1}\n');
    expect(() => readAnchors(dir)).toThrow(`${dir}/2025-03-10.jsonl:1: not an audit checkpoint: hash:`);
    expect(() => readAnchors(join(dir, 'missing'))).toThrow(/does not exist/);
  });
});
