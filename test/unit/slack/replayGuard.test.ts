import { describe, expect, it } from 'vitest';
import { SignatureReplayCache, judgeSlackRequest, replayKey } from '../../../src/slack/replayGuard.js';
import { signature } from '../../support/slackSigning.js';

const secret = 'test-signing-secret';
const nowMs = 1_700_000_000_000;
const nowSec = nowMs / 1000;

function judge(cache: SignatureReplayCache, body: string, timestamp: number, sig = signature(secret, timestamp, body)) {
  return judgeSlackRequest({ signingSecret: secret, body, signature: sig, timestamp: String(timestamp), cache, nowMs });
}

describe('judgeSlackRequest', () => {
  it('passes a fresh signed request once and refuses the identical one after', async () => {
    const cache = new SignatureReplayCache(300, () => nowMs);
    expect(await judge(cache, 'payload=a', nowSec)).toBe('pass');
    expect(await judge(cache, 'payload=a', nowSec)).toBe('replay');
    expect(await judge(cache, 'payload=b', nowSec)).toBe('pass');
  });

  it('refuses the same request under another spelling of its signature header, which Bolt still verifies', async () => {
    const cache = new SignatureReplayCache(300, () => nowMs);
    const sig = signature(secret, nowSec, 'payload=a');
    expect(await judge(cache, 'payload=a', nowSec, sig)).toBe('pass');
    expect(await judge(cache, 'payload=a', nowSec, `${sig}=1`)).toBe('replay');
    expect(await judge(cache, 'payload=a', nowSec, `${sig}=2`)).toBe('replay');
  });

  it('leaves forged and stale requests to Bolt (which refuses them) without remembering them', async () => {
    const cache = new SignatureReplayCache(300, () => nowMs);
    expect(await judge(cache, 'payload=a', nowSec, 'v0=deadbeef')).toBe('pass');
    expect(await judge(cache, 'payload=a', nowSec - 360)).toBe('pass');
    expect(await judgeSlackRequest({ signingSecret: secret, body: 'x', signature: undefined, timestamp: undefined, cache, nowMs })).toBe('pass');
    expect(cache.size).toBe(0);
  });

  it('refuses requests dated more than five minutes in the future, which Bolt would accept', async () => {
    const cache = new SignatureReplayCache(300, () => nowMs);
    expect(await judge(cache, 'payload=a', nowSec + 301)).toBe('future');
    expect(await judge(cache, 'payload=a', nowSec + 60)).toBe('pass');
  });
});

describe('SignatureReplayCache', () => {
  it('forgets a request once its timestamp is stale, so memory stays bounded', () => {
    let now = nowMs;
    const cache = new SignatureReplayCache(300, () => now);
    expect(cache.admitNow(replayKey(String(nowSec), 'a'), nowSec)).toBe(true);
    expect(cache.admitNow(replayKey(String(nowSec), 'a'), nowSec)).toBe(false);
    now += 302_000;
    expect(cache.admitNow(replayKey(String(now / 1000), 'b'), now / 1000)).toBe(true);
    expect(cache.size).toBe(1);
  });
});
