/**
 * Every test process signs and verifies decisions with one decision key, as one Tollgate
 * deployment does. Worker processes that tests spawn inherit it through the environment.
 */
import { generateKeyPairSync } from 'node:crypto';

process.env.TOLLGATE_DECISION_KEY ??= generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');

