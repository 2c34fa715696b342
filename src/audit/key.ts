import type { KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TollgateInputError } from '../errors.js';
import { loadServiceKey, type ServiceKey } from '../keys.js';

export const AUDIT_KEY_ENV = 'TOLLGATE_AUDIT_KEY';
export const AUDIT_PUBLIC_KEY_ENV = 'TOLLGATE_AUDIT_PUBLIC_KEY';

/** Where the embedded default keeps the audit key: `<baseDir>/.tollgate/audit-key.pem` (mode 0600). */
export const auditKeyFile = (baseDir: string) => join(baseDir, '.tollgate', 'audit-key.pem');

/**
 * The audit key for a config's base directory: `$TOLLGATE_AUDIT_KEY`, else the key file, else
 * only the public half from `$TOLLGATE_AUDIT_PUBLIC_KEY`; `create` makes the file when none is
 * set (what `tollgate start` does for the embedded default). Undefined when there is none and
 * `create` is off: the trail then appends unsigned entries, and `verify` checks hashes only.
 */
export function loadAuditKey(baseDir: string, options: { create?: boolean; env?: NodeJS.ProcessEnv } = {}): ServiceKey | undefined {
  const env = options.env ?? process.env;
  const file = auditKeyFile(baseDir);
  if (!options.create && !env[AUDIT_KEY_ENV] && !env[AUDIT_PUBLIC_KEY_ENV] && !existsSync(file)) return undefined;
  return loadServiceKey({ purpose: 'audit', privateEnv: AUDIT_KEY_ENV, publicEnv: AUDIT_PUBLIC_KEY_ENV, file, create: options.create, env });
}

/**
 * `--public-key`: base64 SPKI DER (what `ServiceKey.publicKeyBase64` prints) or PEM, inline or
 * as `@file`. Parsed by keys.ts, so every key input accepts the same forms.
 */
export function parseAuditPublicKey(value: string, flag = '--public-key'): KeyObject {
  let text = value;
  if (value.startsWith('@')) {
    try {
      text = readFileSync(value.slice(1), 'utf8');
    } catch {
      throw new TollgateInputError(`${flag}: cannot read ${value.slice(1)}`, flag);
    }
  }
  // Only the public half is ever accepted here: a verifier must not need the private key.
  return loadServiceKey({ purpose: 'audit', privateEnv: `${flag} (private)`, publicEnv: flag, env: { [flag]: text } }).publicKey;
}
