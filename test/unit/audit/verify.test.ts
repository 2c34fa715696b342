import { describe, expect, it } from 'vitest';
import { ChainVerifier, GENESIS_HASH, entryHash, toJsonLine, verifyJsonl, type AuditEntry } from '../../../src/audit/index.js';
import { buildChain } from './chainFixtures.js';

const verify = (entries: readonly AuditEntry[]) => {
  const verifier = new ChainVerifier();
  for (const entry of entries) verifier.add(entry);
  return verifier.result();
};
const jsonl = (entries: readonly AuditEntry[]) => entries.map(toJsonLine).join('\n') + '\n';

describe('ChainVerifier', () => {
  const chain = buildChain(10);

  it('accepts an intact chain and reports its ends', () => {
    expect(chain[0].prevHash).toBe(GENESIS_HASH);
    expect(verify(chain)).toEqual({
      ok: true, entries: 10, first: { seq: 1, prevHash: GENESIS_HASH }, last: { seq: 10, hash: chain[9].hash },
    });
  });

  it('finds an edited entry', () => {
    const edited = chain.map((e) => (e.seq === 4 ? { ...e, data: { ...e.data, n: 400 } } : e));
    expect(verify(edited).firstBroken).toEqual({ seq: 4, reason: 'entry 4 was altered: its hash does not match its contents' });
  });

  it('finds a deleted entry, and several', () => {
    expect(verify(chain.filter((e) => e.seq !== 6)).firstBroken).toEqual({ seq: 6, reason: 'entry 6 is missing (deleted): 5 is followed by 7' });
    expect(verify(chain.filter((e) => e.seq < 3 || e.seq > 5)).firstBroken?.reason).toBe('entries 3..5 are missing (deleted): 2 is followed by 6');
    expect(verify(chain.slice(1)).firstBroken?.seq).toBe(1);
  });

  it('finds a deleted entry whose successors were renumbered to hide the gap', () => {
    const renumbered = [...chain.slice(0, 5), ...chain.slice(6).map((e) => ({ ...e, seq: e.seq - 1 }))];
    expect(verify(renumbered).firstBroken?.seq).toBe(6);
  });

  it('finds entries in the wrong order', () => {
    const swapped = [...chain.slice(0, 2), chain[3], chain[2], ...chain.slice(4)];
    expect(verify(swapped).firstBroken?.seq).toBe(3);
  });

  it('finds two entries whose hashes were swapped', () => {
    const swapped = chain.map((e) => (e.seq === 3 ? { ...e, hash: chain[7].hash } : e.seq === 8 ? { ...e, hash: chain[2].hash } : e));
    expect(verify(swapped).firstBroken).toEqual({ seq: 3, reason: 'entry 3 was altered: its hash does not match its contents' });
  });

  it('finds an entry replaced by a self-consistent forgery (rehashed, but not linked)', () => {
    const forged = { ...chain[4], actor: 'mallory', prevHash: 'a'.repeat(64) };
    forged.hash = entryHash(forged);
    const result = verify(chain.map((e) => (e.seq === 5 ? forged : e)));
    expect(result.firstBroken?.seq).toBe(5);
    expect(result.firstBroken?.reason).toMatch(/does not link to entry 4/);
  });

  it('keeps only the first break and still counts every entry', () => {
    const twice = chain.map((e) => (e.seq === 2 || e.seq === 9 ? { ...e, actor: 'x' } : e));
    expect(verify(twice)).toMatchObject({ ok: false, entries: 10, firstBroken: { seq: 2 } });
  });
});

describe('verifyJsonl', () => {
  const chain = buildChain(12);

  it('accepts a whole export and a slice of one', async () => {
    expect(await verifyJsonl(jsonl(chain))).toMatchObject({ ok: true, entries: 12, last: { seq: 12, hash: chain[11].hash } });
    // A slice is checked from its first entry, which is taken as given and reported for anchoring.
    expect(await verifyJsonl(jsonl(chain.slice(4, 9)))).toMatchObject({ ok: true, entries: 5, first: { seq: 5, prevHash: chain[3].hash } });
    expect(await verifyJsonl(jsonl(chain).split('\n'))).toMatchObject({ ok: true, entries: 12 });
  });

  it('finds an edit in the text, naming the line', async () => {
    const lines = jsonl(chain).split('\n');
    lines[6] = lines[6].replace('"actor":"user-1"', '"actor":"user-2"');
    expect(await verifyJsonl(lines)).toMatchObject({ ok: false, firstBroken: { seq: 7, line: 7, reason: expect.stringMatching(/altered/) } });
  });

  it('finds a removed line and lines out of order', async () => {
    const lines = jsonl(chain).trim().split('\n');
    expect((await verifyJsonl(lines.filter((_, i) => i !== 3))).firstBroken).toMatchObject({ seq: 4, reason: expect.stringMatching(/missing/) });
    expect((await verifyJsonl([lines[0], lines[2], lines[1]])).firstBroken?.seq).toBe(2);
  });

  it('requires an export that starts at entry 1 to start from the genesis hash', async () => {
    const forged = { ...chain[0], prevHash: 'b'.repeat(64) };
    forged.hash = entryHash(forged);
    expect((await verifyJsonl(toJsonLine(forged))).firstBroken).toMatchObject({ seq: 1, reason: expect.stringMatching(/does not link/) });
  });

  it('reports lines that are not JSON or not entries', async () => {
    const lines = jsonl(chain.slice(0, 2)).trim().split('\n');
    expect((await verifyJsonl([...lines, '{"seq":3'])).firstBroken).toMatchObject({ seq: 3, line: 3, reason: expect.stringMatching(/^line 3 is not JSON/) });
    expect((await verifyJsonl([...lines, '{"seq":3}'])).firstBroken).toMatchObject({ seq: 3, line: 3, reason: expect.stringMatching(/^line 3 is not an audit entry/) });
  });

  it('treats an empty export as an empty, intact chain', async () => {
    expect(await verifyJsonl('')).toEqual({ ok: true, entries: 0 });
  });
});
