/** SQLSTATEs after which a statement may simply be run again: serialization failure, deadlock. */
const RETRYABLE = new Set(['40001', '40P01']);
const ATTEMPTS = 4;

interface Pending<Op, Result> {
  op: Op;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

/**
 * Group commit for ledger operations. Every reservation, commit and release takes the org's
 * totals row, so they run one at a time however many arrive; rather than each waiting for the
 * row and a commit of its own, those that arrive while one statement runs go together in the
 * next. A lone caller waits for nobody: its statement starts at once (after the current tick,
 * so that operations issued together go together).
 *
 * `apply` runs one batch as one statement (so all or nothing) and returns one result per
 * operation, in order. When a batch fails with a statement error, each of its operations runs
 * again on its own, so that one operation the database refuses cannot fail the others.
 */
export class Batcher<Op, Result> {
  private queue: Pending<Op, Result>[] = [];
  private scheduled = false;

  constructor(private readonly apply: (ops: readonly Op[]) => Promise<Result[]>, private readonly maxBatch = 256) {}

  submit(op: Op): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const results = await this.run(batch.map((pending) => pending.op));
        batch.forEach((pending, i) => pending.resolve(results[i]));
      } catch (error) {
        if (batch.length > 1 && isStatementError(error)) {
          await Promise.all(batch.map(async (pending) => {
            try {
              pending.resolve((await this.run([pending.op]))[0]);
            } catch (alone) {
              pending.reject(alone);
            }
          }));
        } else {
          batch.forEach((pending) => pending.reject(error));
        }
      }
    }
    this.scheduled = false;
  }

  private async run(ops: readonly Op[]): Promise<Result[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        const results = await this.apply(ops);
        if (results.length !== ops.length) throw new Error(`budget batch: ${ops.length} operations gave ${results.length} results`);
        return results;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (attempt < ATTEMPTS && typeof code === 'string' && RETRYABLE.has(code)) continue;
        throw error;
      }
    }
  }
}

/** An error the database raised for the statement (it has a SQLSTATE), rather than a lost connection. */
function isStatementError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('08') && !code.startsWith('57');
}
