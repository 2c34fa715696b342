import { mkdtempSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadServiceKey } from '../../src/keys.js';

const dir = () => mkdtempSync(join(tmpdir(), 'tollgate-keys-'));

describe('loadServiceKey', () => {
  it('creates a 0600 key file once and reads the same key back', () => {
    const file = join(dir(), 'nested', 'decision-key.pem');
    const first = loadServiceKey({ purpose: 'decision', privateEnv: 'X_KEY', file, create: true, env: {} });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = loadServiceKey({ purpose: 'decision', privateEnv: 'X_KEY', file, env: {} });
    expect(again.publicKeyBase64).toBe(first.publicKeyBase64);
    const signature = sign(null, Buffer.from('m'), first.privateKey!);
    expect(verify(null, Buffer.from('m'), again.publicKey, signature)).toBe(true);
  });

  it('prefers the environment, PEM or base64 DER', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const der = privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    const a = loadServiceKey({ purpose: 'decision', privateEnv: 'X_KEY', env: { X_KEY: pem } });
    const b = loadServiceKey({ purpose: 'decision', privateEnv: 'X_KEY', env: { X_KEY: der } });
    expect(a.publicKeyBase64).toBe(b.publicKeyBase64);
    expect(a.source).toBe('$X_KEY');
  });

  it('accepts a public key alone for a verifying process', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const key = loadServiceKey({ purpose: 'audit', privateEnv: 'X_KEY', publicEnv: 'X_PUB', env: { X_PUB: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') } });
    expect(key.privateKey).toBeUndefined();
  });

  it('refuses a key file others can read, and a key that is not Ed25519', () => {
    const file = join(dir(), 'key.pem');
    loadServiceKey({ purpose: 'decision', privateEnv: 'X_KEY', file, create: true, env: {} });
    chmodSync(file, 0o644);
    expect(() => loadServiceKey({ purpose: 'decision', privateEnv: 'X_KEY', file, env: {} })).toThrow(/chmod 600/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(() => loadServiceKey({ purpose: 'decision', privateEnv: 'X_KEY', env: { X_KEY: rsa } })).toThrow(/X_KEY: not an Ed25519 private key/);
    const garbage = join(dir(), 'g.pem');
    writeFileSync(garbage, 'nope', { mode: 0o600 });
    expect(() => loadServiceKey({ purpose: 'decision', privateEnv: 'X_KEY', file: garbage, env: {} })).toThrow(/g.pem: not an Ed25519/);
  });

  it('names every place it looked when there is no key', () => {
    expect(() => loadServiceKey({ purpose: 'decision', privateEnv: 'X_KEY', publicEnv: 'X_PUB', file: '/nonexistent/k', env: {} }))
      .toThrow('no decision key: set $X_KEY or $X_PUB or /nonexistent/k');
  });
});
