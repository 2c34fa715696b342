import type { KeyObject } from 'node:crypto';
import { TrailVerifier } from './trailVerifier.js';
import type { ChainVerification } from './types.js';
import { AuditEntryLineSchema } from './verify.js';

/**
 * Verify an export offline, without the database: every line must parse, every hash must
 * match its entry, and consecutive entries must link with no seq missing. An export that
 * starts at seq 1 must start from the genesis hash; a later slice's first prev_hash is
 * taken as given, so compare `first`/`last` with `tollgate audit verify` to anchor it.
 * With the audit key's public half, every entry's signature is checked too (an export carries
 * no checkpoints to vouch for them). Blank lines are ignored.
 */
export async function verifyJsonl(lines: string | Iterable<string>, options: { publicKey?: KeyObject } = {}): Promise<ChainVerification> {
  const verifier = new TrailVerifier({ start: null, publicKey: options.publicKey });
  const all = typeof lines === 'string' ? lines.split('\n') : lines;
  let number = 0;
  for (const raw of all) {
    number++;
    const line = raw.trim();
    if (line === '') continue;
    const expected = (verifier.last?.seq ?? 0) + 1;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      verifier.fail({ seq: expected, line: number, reason: `line ${number} is not JSON: ${(error as Error).message}` });
      continue;
    }
    const parsed = AuditEntryLineSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      verifier.fail({ seq: expected, line: number, reason: `line ${number} is not an audit entry: ${issue.path.map(String).join('.') || 'line'}: ${issue.message}` });
      continue;
    }
    await verifier.add(parsed.data, number);
  }
  const result = await verifier.result();
  // Without a key there is nothing to say about signatures; keep the plain chain result then.
  if (!options.publicKey) delete result.signatures;
  return result;
}
