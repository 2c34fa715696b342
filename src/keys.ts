import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TollgateInputError } from './errors.js';

/**
 * The service's Ed25519 keys: the decision key (proofs that only the service can make) and the
 * audit key (signed checkpoints that the database owner cannot forge). Ed25519 rather than HMAC so
 * that a process which only verifies (a worker, `audit verify`) can be given the public half alone.
 */
export interface ServiceKey {
  /** Absent where only the public key was given (a verifying process). */
  privateKey?: KeyObject;
  publicKey: KeyObject;
  /** Where the key came from, for logs and errors (never the key itself). */
  source: string;
  /** The public key as base64 DER (SPKI): what `audit verify --public-key` and peers accept. */
  publicKeyBase64: string;
}

export interface LoadKeyOptions {
  /** What the key is for, in messages: "decision", "audit". */
  purpose: string;
  /** Env var holding the private key (PEM, or base64 PKCS#8 DER). */
  privateEnv: string;
  /** Env var holding only the public key (PEM, or base64 SPKI DER). */
  publicEnv?: string;
  /** Key file (PEM, mode 0600), used when the env vars are unset. */
  file?: string;
  /** Create the file when it is missing (the embedded default: `tollgate start`). */
  create?: boolean;
  env?: NodeJS.ProcessEnv;
}

function parsePrivate(text: string, where: string, field: string): KeyObject {
  try {
    const trimmed = text.trim();
    const key = trimmed.startsWith('-----')
      ? createPrivateKey(trimmed)
      : createPrivateKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'pkcs8' });
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`expected an Ed25519 key, got ${key.asymmetricKeyType}`);
    return key;
  } catch (error) {
    throw new TollgateInputError(`${where}: not an Ed25519 private key (${(error as Error).message.split('\n')[0]}); generate one with \`openssl genpkey -algorithm ed25519\``, field);
  }
}

function parsePublic(text: string, where: string, field: string): KeyObject {
  try {
    const trimmed = text.trim();
    const key = trimmed.startsWith('-----')
      ? createPublicKey(trimmed)
      : createPublicKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`expected an Ed25519 key, got ${key.asymmetricKeyType}`);
    return key;
  } catch (error) {
    throw new TollgateInputError(`${where}: not an Ed25519 public key (${(error as Error).message.split('\n')[0]})`, field);
  }
}

const describe = (privateKey: KeyObject | undefined, publicKey: KeyObject, source: string): ServiceKey => ({
  ...(privateKey ? { privateKey } : {}),
  publicKey,
  source,
  publicKeyBase64: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
});

/**
 * The private key from the environment, else from the key file (created with mode 0600 when
 * `create` is set and it is missing), else only the public key from the environment.
 * Throws when none is available, naming every place it looked.
 */
export function loadServiceKey(options: LoadKeyOptions): ServiceKey {
  const env = options.env ?? process.env;
  const fromEnv = env[options.privateEnv];
  if (fromEnv) {
    const privateKey = parsePrivate(fromEnv, options.privateEnv, options.privateEnv);
    return describe(privateKey, createPublicKey(privateKey), `$${options.privateEnv}`);
  }
  const { file } = options;
  if (file && existsSync(file)) {
    const mode = statSync(file).mode & 0o777;
    if (mode & 0o077) {
      throw new TollgateInputError(`${file}: the ${options.purpose} key must be readable by its owner only (mode ${mode.toString(8)}); run \`chmod 600 ${file}\``, options.privateEnv);
    }
    const privateKey = parsePrivate(readFileSync(file, 'utf8'), file, options.privateEnv);
    return describe(privateKey, createPublicKey(privateKey), file);
  }
  const publicOnly = options.publicEnv ? env[options.publicEnv] : undefined;
  if (publicOnly) return describe(undefined, parsePublic(publicOnly, options.publicEnv!, options.publicEnv!), `$${options.publicEnv}`);
  if (file && options.create) {
    const { privateKey } = generateKeyPairSync('ed25519');
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // `wx`: two processes starting at once must not overwrite each other's fresh key.
    try {
      writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return loadServiceKey({ ...options, create: false });
    }
    chmodSync(file, 0o600);
    return describe(privateKey, createPublicKey(privateKey), file);
  }
  const places = [`$${options.privateEnv}`, ...(options.publicEnv ? [`$${options.publicEnv}`] : []), ...(file ? [file] : [])];
  throw new TollgateInputError(`no ${options.purpose} key: set ${places.join(' or ')} (\`tollgate start\` creates ${file ?? 'one'} for the embedded default)`, options.privateEnv);
}

/**
 * The decision key: `TOLLGATE_DECISION_KEY` (private, for processes that sign: the service),
 * `TOLLGATE_DECISION_PUBLIC_KEY` (for workers that only verify), or `.tollgate/decision-key.pem`
 * beside the config, which `tollgate start` creates for the embedded default.
 */
export function loadDecisionKey(config: { baseDir: string }, options: { create?: boolean; env?: NodeJS.ProcessEnv } = {}): ServiceKey {
  return loadServiceKey({
    purpose: 'decision',
    privateEnv: 'TOLLGATE_DECISION_KEY',
    publicEnv: 'TOLLGATE_DECISION_PUBLIC_KEY',
    file: join(config.baseDir, '.tollgate', 'decision-key.pem'),
    create: options.create,
    env: options.env,
  });
}
