import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogLevel } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { createLogger } from '../../src/log.js';
import { slackLogger } from '../../src/slack/slackLogger.js';

function capture(level = 'debug') {
  const chunks: string[] = [];
  const log = createLogger({ sink: { write: (text) => void chunks.push(text) }, format: 'json', level });
  return { log, text: () => chunks.join(''), records: () => chunks.join('').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line)) };
}

// A local stand-in for slack.com that echoes what it was sent, so the client's debug lines carry it.
let server: Server;
let apiUrl: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, echoed: body, warning: 'superfluous_charset' })));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('slackLogger', () => {
  it('carries the Web API client\'s lines into the one logger, redacted', async () => {
    const { log, records, text } = capture();
    const client = new WebClient('xoxb-1111-2222-abcdefghijkl', { slackApiUrl: apiUrl, logger: slackLogger(log), retryConfig: { retries: 0 } });
    await client.chat.postMessage({ channel: 'C1', text: `deploy with postgres://app:hunter2@db/app and ghp_${'x'.repeat(36)}` });
    const lines = records();
    expect(lines.find((record) => record.msg === 'initialized')).toMatchObject({ level: 20 });
    expect(lines.some((record) => record.msg.startsWith('http request result:'))).toBe(true);
    expect(text()).not.toContain('hunter2');
    expect(text()).not.toContain('xxxxxxxxxx');
    expect(text()).not.toContain('abcdefghijkl');
  });

  it('reports pino\'s level to Bolt, ignores Bolt\'s setLevel and keeps the name it is given', () => {
    const { log, records } = capture('warn');
    const adapter = slackLogger(log);
    expect(adapter.getLevel()).toBe(LogLevel.WARN);
    adapter.setLevel(LogLevel.DEBUG);
    adapter.info('not shown');
    adapter.warn('socket', 'closed', new Error('ECONNRESET'), { retry: 1 });
    adapter.setName('bolt-app');
    adapter.error('handler failed');
    expect(records().map((record) => [record.level, record.msg, record.slack])).toEqual([
      [40, 'socket closed Error: ECONNRESET {"retry":1}', undefined],
      [50, 'handler failed', 'bolt-app'],
    ]);
  });
});
