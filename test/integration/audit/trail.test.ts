import { PassThrough } from 'node:stream';
import type pg from 'pg';
import { beforeAll, expect, it } from 'vitest';
import {
  AuditTrail, policyDecisionEntry, verifyJsonl, type AuditEntry, type AuditEntryInput,
} from '../../../src/audit/index.js';
import { complianceEvents, complianceReport } from '../../../src/patterns/compliance.js';
import { describeEachDatabase } from '../../support/databases.js';

const started = (key: string, extra: Partial<AuditEntryInput> = {}): AuditEntryInput => ({
  key, type: 'operation_started', operationId: key.split(':')[0], actor: 'alice', action: 'data:read', resource: 'dataset://sales', ...extra,
});

/** Run `tamper` with the append-only triggers off (as an owner could), then undo it and check the chain heals. */
async function whileTampered(pool: pg.Pool, tamper: () => Promise<void>, undo: () => Promise<void>, check: () => Promise<void>): Promise<void> {
  const triggers = async (on: boolean) => {
    await pool.query(`ALTER TABLE audit_entries ${on ? 'ENABLE' : 'DISABLE'} TRIGGER audit_entries_append_only`);
  };
  await triggers(false);
  try {
    await tamper();
    await check();
  } finally {
    await undo();
    await triggers(true);
  }
}

async function rowOf(pool: pg.Pool, seq: number): Promise<Record<string, unknown>> {
  const { rows } = await pool.query('SELECT * FROM audit_entries WHERE seq = $1', [seq]);
  return rows[0];
}

async function reinsert(pool: pg.Pool, row: Record<string, unknown>): Promise<void> {
  await pool.query(
    `INSERT INTO audit_entries (seq, entry_key, at, type, operation_id, actor, action, resource, outcome, rule, data, prev_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [row.seq, row.entry_key, row.at, row.type, row.operation_id, row.actor, row.action, row.resource, row.outcome, row.rule,
      JSON.stringify(row.data), row.prev_hash, row.hash]);
}

describeEachDatabase('audit trail', (db) => {
  let trail: AuditTrail;
  beforeAll(() => {
    trail = new AuditTrail(db().pool);
  });

  it('starts empty and intact', async () => {
    expect(await trail.verify()).toMatchObject({ ok: true, entries: 0 });
    expect(await trail.head()).toEqual({ seq: 0, hash: '0'.repeat(64) });
  });

  it('keeps a valid chain over many single and batched appends', async () => {
    const single: AuditEntry[] = [];
    for (let i = 0; i < 40; i++) single.push(await trail.append(started(`seq-${i}:operation_started`)));
    const batch = await trail.append(Array.from({ length: 60 }, (_, i) => started(`batch-${i}:operation_started`)));
    const all = [...single, ...batch];
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    for (let i = 1; i < all.length; i++) expect(all[i].prevHash).toBe(all[i - 1].hash);
    const result = await trail.verify();
    expect(result).toMatchObject({ ok: true, entries: 100, last: { seq: 100, hash: all[99].hash } });
    expect(await trail.head()).toEqual({ seq: 100, hash: all[99].hash });
    // What the database gives back hashes the same as what was appended.
    expect(await trail.query({ limit: 3 })).toEqual(all.slice(97));
  });

  it('forms one chain from 100 concurrent appends through several pools', async () => {
    const before = (await trail.head()).seq;
    const pools = Array.from({ length: 4 }, () => db().newPool(4));
    const trails = pools.map((pool) => new AuditTrail(pool));
    const written = await Promise.all(Array.from({ length: 100 }, (_, i) =>
      trails[i % trails.length].append(started(`concurrent-${i}:operation_started`, { data: { i } }))));
    expect(new Set(written.map((e) => e.seq))).toEqual(new Set(Array.from({ length: 100 }, (_, i) => before + i + 1)));
    const result = await trail.verify();
    expect(result).toMatchObject({ ok: true, entries: before + 100 });
    const mine = (await trail.query({ type: 'operation_started', since: new Date(0) })).filter((e) => e.key.startsWith('concurrent-'));
    expect(mine).toHaveLength(100);
  });

  it('writes an entry once however often it is appended, concurrently or in one batch', async () => {
    const before = await trail.head();
    const first = await trail.append(started('idem:operation_started', { data: { attempt: 1 } }));
    // A retried activity: same key, a later clock, even different detail: the first entry stands.
    const retries = await Promise.all([
      trail.append(started('idem:operation_started', { data: { attempt: 2 } })),
      new AuditTrail(db().newPool(2)).append(started('idem:operation_started', { data: { attempt: 3 } })),
    ]);
    const batch = await trail.append([started('idem:operation_started'), started('idem-2:operation_started'), started('idem-2:operation_started')]);
    for (const again of [...retries, batch[0]]) expect(again).toEqual(first);
    expect(batch[2]).toEqual(batch[1]);
    expect(first.data).toEqual({ attempt: 1 });
    expect((await trail.head()).seq).toBe(before.seq + 2);
    expect(await trail.query({ operationId: 'idem' })).toEqual([first]);
    expect((await trail.verify()).ok).toBe(true);
  });

  it('appends a batch all or nothing', async () => {
    const before = await trail.head();
    await expect(trail.append([started('atomic-1:operation_started'), { key: 'atomic-2', type: 'policy_decision' } as AuditEntryInput]))
      .rejects.toThrow(/operationId is required/);
    expect(await trail.head()).toEqual(before);
    expect(await trail.query({ operationId: 'atomic-1' })).toEqual([]);
  });

  it('redacts secrets in data before they reach the database', async () => {
    const entry = await trail.append(started('secret:operation_started', {
      data: { args: { password: 'hunter2', headers: { authorization: 'Bearer tok.en.value' } }, note: 'used xoxb-99-secretvalue' },
    }));
    const { rows } = await db().pool.query<{ raw: string }>('SELECT data::text AS raw FROM audit_entries WHERE seq = $1', [entry.seq]);
    for (const secret of ['hunter2', 'tok.en.value', 'xoxb-99']) expect(rows[0].raw).not.toContain(secret);
    expect(rows[0].raw).toContain('[REDACTED]');
    expect((await trail.verify()).ok).toBe(true);
  });

  it('hashes exactly what the database gives back, awkward values included', async () => {
    const awkward = {
      unicode: 'Zürich ☃ 𝄞 "quoted" \\ back', nul: 'a\u0000b', float: 0.1, tiny: 1e-7, huge: 1e21, negZero: -0, big: 2n ** 70n,
      empty: {}, none: [], deep: { z: [{ b: 1, a: [null, true] }], a: 'x' }, when: new Date('2025-01-01T00:00:00.5Z'),
    };
    const written = await trail.append(started('awkward:operation_started', { actor: 'Łukasz', data: awkward }));
    const [read] = await trail.query({ operationId: 'awkward' });
    expect(read).toEqual(written);
    expect(read.data).toMatchObject({ nul: 'a\uFFFDb', big: (2n ** 70n).toString(), when: '2025-01-01T00:00:00.500Z', negZero: 0 });
    expect((await trail.verify()).ok).toBe(true);
  });

  it('filters queries by operation, type, actor and time, and limits to the latest', async () => {
    const t = (s: number) => new Date(Date.parse('2030-01-01T00:00:00Z') + s * 1000);
    await trail.append([
      started('q1:operation_started', { at: t(0), actor: 'qa' }),
      { key: 'q1:operation_completed', type: 'operation_completed', operationId: 'q1', actor: 'qa', outcome: 'completed', at: t(10) },
      started('q2:operation_started', { at: t(20), actor: 'qb' }),
      { key: 'q2:operation_failed', type: 'operation_failed', operationId: 'q2', actor: 'qb', outcome: 'failed', data: { error: 'x' }, at: t(30) },
    ]);
    const keys = (entries: AuditEntry[]) => entries.map((e) => e.key);
    expect(keys(await trail.query({ operationId: 'q1' }))).toEqual(['q1:operation_started', 'q1:operation_completed']);
    expect(keys(await trail.query({ type: ['operation_completed', 'operation_failed'], since: t(0) })))
      .toEqual(['q1:operation_completed', 'q2:operation_failed']);
    expect(keys(await trail.query({ actor: 'qb' }))).toEqual(['q2:operation_started', 'q2:operation_failed']);
    expect(keys(await trail.query({ since: t(10), until: t(20) }))).toEqual(['q1:operation_completed', 'q2:operation_started']);
    expect(keys(await trail.query({ since: t(0), limit: 2 }))).toEqual(['q2:operation_started', 'q2:operation_failed']);
    expect((await trail.query({ operationId: 'q2' }))[1].at).toBe(t(30).toISOString());
  });

  it('refuses UPDATE, DELETE and TRUNCATE through the ordinary path', async () => {
    await expect(db().pool.query("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 1")).rejects.toThrow(/append-only/);
    await expect(db().pool.query('DELETE FROM audit_entries WHERE seq = 1')).rejects.toThrow(/append-only/);
    await expect(db().pool.query('TRUNCATE audit_entries')).rejects.toThrow(/append-only/);
    await expect(db().pool.query('UPDATE audit_chain_head SET last_seq = 1')).rejects.toThrow(/may not move back/);
    expect((await trail.verify()).ok).toBe(true);
  });

  it('detects an UPDATE of an entry\'s data', async () => {
    const original = await rowOf(db().pool, 7);
    await whileTampered(db().pool,
      () => db().pool.query(`UPDATE audit_entries SET data = '{"n": 1}' WHERE seq = 7`).then(() => undefined),
      () => db().pool.query('UPDATE audit_entries SET data = $1 WHERE seq = 7', [JSON.stringify(original.data)]).then(() => undefined),
      async () => {
        expect((await trail.verify()).firstBroken).toEqual({ seq: 7, reason: 'entry 7 was altered: its hash does not match its contents' });
      });
    expect((await trail.verify()).ok).toBe(true);
  });

  it('detects a DELETE in the middle and at the end', async () => {
    const middle = await rowOf(db().pool, 50);
    await whileTampered(db().pool,
      () => db().pool.query('DELETE FROM audit_entries WHERE seq = 50').then(() => undefined),
      () => reinsert(db().pool, middle),
      async () => {
        expect((await trail.verify()).firstBroken).toEqual({ seq: 50, reason: 'entry 50 is missing (deleted): 49 is followed by 51' });
      });
    const head = await trail.head();
    const last = await rowOf(db().pool, head.seq);
    await whileTampered(db().pool,
      () => db().pool.query('DELETE FROM audit_entries WHERE seq = $1', [head.seq]).then(() => undefined),
      () => reinsert(db().pool, last),
      async () => {
        expect((await trail.verify()).firstBroken).toMatchObject({ seq: head.seq, reason: expect.stringMatching(/missing \(deleted\): the chain head says/) });
      });
    expect((await trail.verify()).ok).toBe(true);
  });

  it('detects swapped hashes and swapped rows', async () => {
    const [a, b] = [await rowOf(db().pool, 10), await rowOf(db().pool, 20)];
    const setHash = (seq: number, hash: unknown) => db().pool.query('UPDATE audit_entries SET hash = $1 WHERE seq = $2', [hash, seq]).then(() => undefined);
    await whileTampered(db().pool,
      async () => {
        await setHash(10, b.hash);
        await setHash(20, a.hash);
      },
      async () => {
        await setHash(10, a.hash);
        await setHash(20, b.hash);
      },
      async () => {
        expect((await trail.verify()).firstBroken).toMatchObject({ seq: 10, reason: expect.stringMatching(/altered/) });
      });
    // Reorder: entries 30 and 31 trade places (their seq numbers).
    const move = async (from: number, to: number) => {
      await db().pool.query('UPDATE audit_entries SET seq = $1 WHERE seq = $2', [to, from]);
    };
    await whileTampered(db().pool,
      async () => {
        await db().pool.query('ALTER TABLE audit_entries DROP CONSTRAINT audit_entries_seq_check');
        await move(30, -30);
        await move(31, 30);
        await move(-30, 31);
      },
      async () => {
        await move(31, -30);
        await move(30, 31);
        await move(-30, 30);
        await db().pool.query('ALTER TABLE audit_entries ADD CONSTRAINT audit_entries_seq_check CHECK (seq > 0)');
      },
      async () => {
        expect((await trail.verify()).firstBroken).toMatchObject({ seq: 30, reason: expect.stringMatching(/altered/) });
      });
    expect((await trail.verify()).ok).toBe(true);
  });

  it('exports JSONL that verifies offline, in whole and from a time on', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    const head = await trail.head();
    expect(await trail.exportJsonl(out)).toEqual({ entries: head.seq, firstSeq: 1, lastSeq: head.seq });
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text.trim().split('\n')).toHaveLength(head.seq);
    expect(await verifyJsonl(text)).toMatchObject({ ok: true, entries: head.seq, last: head });
    expect(await verifyJsonl(text.replace('"actor":"qa"', '"actor":"qz"'))).toMatchObject({ ok: false, firstBroken: { reason: expect.stringMatching(/altered/) } });

    const slice = new PassThrough();
    const sliceChunks: Buffer[] = [];
    slice.on('data', (chunk: Buffer) => sliceChunks.push(chunk));
    const since = new Date('2030-01-01T00:00:10Z');
    const exported = await trail.exportJsonl(slice, { since });
    const [q1Completed] = await trail.query({ operationId: 'q1', type: 'operation_completed' });
    expect(exported).toEqual({ entries: head.seq - q1Completed.seq + 1, firstSeq: q1Completed.seq, lastSeq: head.seq });
    expect(await verifyJsonl(Buffer.concat(sliceChunks).toString('utf8'))).toMatchObject({ ok: true, first: { seq: q1Completed.seq, prevHash: q1Completed.prevHash } });
  });

  it('feeds compliance reports: a deny by a compliance rule is non_compliant', async () => {
    const request = { subject: { identifier: 'mallory' }, action: 'data:store', resource: 'dataset://card_data/pan', context: { encryption_enabled: false } };
    const decision = {
      effect: 'deny' as const, rule: 'pci_encryption_required', reason: 'Cardholder data must be encrypted', metadata: {}, policySet: 'compliance', policyVersion: 'v1',
    };
    await trail.append(policyDecisionEntry('pci-op', request, decision));
    const entries = await trail.query({ type: ['policy_decision', 'approval_decision'] });
    const report = complianceReport('pci_dss', complianceEvents(entries), new Date(Date.now() + 1000));
    expect(report.requirements[0]).toMatchObject({ requirementId: 'PCI-3.4', status: 'non_compliant', violations: [{ operationId: 'pci-op', actor: 'mallory' }] });
  });
});
