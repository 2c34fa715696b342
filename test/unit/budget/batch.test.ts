import { describe, expect, it } from 'vitest';
import { Batcher } from '../../../src/budget/batch.js';

const sqlError = (code: string, message = `sql ${code}`) => Object.assign(new Error(message), { code });

describe('Batcher', () => {
  it('sends operations issued together as one batch, and those arriving meanwhile as the next', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const batcher = new Batcher<number, number>(async (ops) => {
      batches.push([...ops]);
      if (batches.length === 1) await new Promise<void>((resolve) => { release = resolve; });
      return ops.map((op) => op * 10);
    });
    const first = [batcher.submit(1), batcher.submit(2)];
    await new Promise((resolve) => setTimeout(resolve, 0));
    // The first batch is running: these wait for it, then go together.
    const later = [batcher.submit(3), batcher.submit(4), batcher.submit(5)];
    release();
    expect(await Promise.all([...first, ...later])).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([[1, 2], [3, 4, 5]]);
  });

  it('caps a batch', async () => {
    const sizes: number[] = [];
    const batcher = new Batcher<number, number>(async (ops) => {
      sizes.push(ops.length);
      return [...ops];
    }, 3);
    await Promise.all(Array.from({ length: 7 }, (_, i) => batcher.submit(i)));
    expect(sizes).toEqual([3, 3, 1]);
  });

  it('runs a deadlocked or serialization-failed batch again', async () => {
    let calls = 0;
    const batcher = new Batcher<string, string>(async (ops) => {
      calls++;
      if (calls === 1) throw sqlError('40P01');
      if (calls === 2) throw sqlError('40001');
      return ops.map((op) => op.toUpperCase());
    });
    expect(await Promise.all([batcher.submit('a'), batcher.submit('b')])).toEqual(['A', 'B']);
    expect(calls).toBe(3);
  });

  it('fails only the operation the database refuses, running the rest of its batch alone', async () => {
    const batcher = new Batcher<string, string>(async (ops) => {
      if (ops.includes('bad')) throw sqlError('22003', 'bigint out of range');
      return [...ops];
    });
    const results = await Promise.allSettled(['a', 'bad', 'c'].map((op) => batcher.submit(op)));
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual(['a', 'bigint out of range', 'c']);
  });

  it('fails the whole batch when the database is unreachable, and serves later operations afterwards', async () => {
    let down = true;
    const batcher = new Batcher<string, string>(async (ops) => {
      if (down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      return [...ops];
    });
    const failed = await Promise.allSettled([batcher.submit('a'), batcher.submit('b')]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    down = false;
    expect(await batcher.submit('c')).toBe('c');
  });

  it('refuses a batch that answers for the wrong number of operations', async () => {
    const batcher = new Batcher<string, string>(async () => []);
    await expect(batcher.submit('a')).rejects.toThrow('budget batch: 1 operations gave 0 results');
  });
});
