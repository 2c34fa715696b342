/**
 * Every secret shape of issue 10 sent through a real workflow with Slack and the Temporal UI: in the
 * context under secret-named keys, as value shapes under innocent keys, in the resource (a token in
 * a URL), and in a handler's error message. None may appear in any sink: Slack calls, audit rows,
 * search attributes, the UI summary and details, the workflow history, the status query, and the
 * service's log. Operation arguments are the handler's own: they reach it as given and are kept in
 * Temporal's history like any workflow input, so they are checked in every other sink.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestTemporal, type TestTemporal } from '../../support/temporal.js';
import { TEST_APPROVERS, eventually, quietTemporalRuntime, testConfig } from '../../support/governance.js';
import { FakeSlack } from '../../support/fakeSlack.js';
import { blockActionsPayload, postSigned } from '../../support/slackSigning.js';
import { findFreePort } from '../../../temporal-config/freePort.js';
import { startService, type RunningService } from '../../../src/service/service.js';
import { OperationRegistry } from '../../../src/operation/registry.js';
import { readSecrets } from '../../../src/config.js';

const SECRET = 'secrets-signing-secret';
const CHANNEL = 'C0SECRETS';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const JWT = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: 'MARK16-user', iat: 1700000000 })}.c2lnbmF0dXJlLXNlY3JldC1tYXJrMTY`;
const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCMARK17secretkeymaterial\nAbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/\n-----END PRIVATE KEY-----';
const CARD = '4111 1111 1111 1111';

/** Each secret, and the text that must appear nowhere. */
const SECRETS = {
  passwd: 'MARK01-hunter2', pwd: 'MARK02-letmein', pass: 'MARK03-opensesame', passphrase: 'MARK04 correct horse battery',
  auth: 'MARK05-sessionvalue', ssn: '078-05-MARK06', cvv: 'MARK07', card: 'MARK08-card', card_number: 'MARK09-card-number',
};
const SHAPES = {
  openai: 'sk-proj-MARK10abcdefghijklmnopqrstuvwxyz0123456789ABCD',
  anthropic: 'sk-ant-api03-MARK11abcdefghijklmnopqrstuvwxyz0123456789-ABCDEFGH',
  github: 'ghp_MARK12abcdefghijklmnopqrstuvwxyz01234',
  stripe: 'sk_live_MARK13abcdefghijklmnopqrstuv',
  google: 'AIzaSyMARK14abcdefghijklmnopqrstuvwxyz0',
  card: CARD,
  dsn: 'postgres://app:MARK15pw@db.internal:5432/orders',
  basic: `Basic ${Buffer.from('svc:MARK16pw').toString('base64')}`,
  jwt: JWT,
  pem: PEM,
};
const NEEDLES = [
  ...Object.values(SECRETS), SHAPES.openai, SHAPES.anthropic, SHAPES.github, SHAPES.stripe, SHAPES.google, CARD, CARD.replaceAll(' ', ''),
  'MARK15pw', Buffer.from('svc:MARK16pw').toString('base64'), JWT, 'MARK17secretkeymaterial', 'ghp_MARK12urltokenabcdefghijklmnopqrstu',
];

let temporal: TestTemporal;
let fake: FakeSlack;
let service: RunningService;
const logged: string[] = [];
const handled = new Map<string, unknown>();
const realWrite = process.stderr.write.bind(process.stderr);

beforeAll(async () => {
  quietTemporalRuntime();
  // The service's log is every line it writes to stderr.
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    logged.push(String(chunk));
    return (realWrite as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  temporal = await startTestTemporal();
  fake = await FakeSlack.start();
  const config = await testConfig({
    name: 'secrets',
    rules: [
      { name: 'exports_need_approval', effect: 'require_approval', actions: ['data:export'], metadata: { approvalTimeout: '1h' } },
      { name: 'managers_decide', effect: 'allow', actions: ['approval:decide'], subjects: ['role:manager'] },
      { name: 'jobs_run', effect: 'allow', actions: ['job:run'] },
    ],
  }, {
    address: temporal.address,
    approvers: TEST_APPROVERS,
    slack: { apiUrl: fake.apiUrl, approvalChannel: CHANNEL },
    database: { dataDir: await mkdtemp(join(tmpdir(), 'tollgate-secrets-db-')), embeddedPort: await findFreePort() },
    server: { port: 0 },
  });
  config.secrets = readSecrets({ SLACK_BOT_TOKEN: 'xoxb-secrets-token', SLACK_SIGNING_SECRET: SECRET });
  const operations = new OperationRegistry()
    .register('export', async (args) => {
      throw new Error(`upstream refused key ${SHAPES.stripe} for ${SHAPES.dsn} (${JSON.stringify(args).length} bytes)`);
    })
    .register('echo', async (args, context) => {
      handled.set(context.operationId, args);
      return { ok: true };
    });
  service = await startService({ config, operations });
});

afterAll(async () => {
  process.stderr.write = realWrite as typeof process.stderr.write;
  await service?.stop();
  await fake?.close();
  await temporal?.close();
});

it('keeps every secret out of Slack, the audit trail, search attributes, the UI, the history, the status query and the log', { timeout: 180_000 }, async () => {
  const id = `secrets-${Date.now().toString(36)}`;
  const handle = await service.client.submit({
    id,
    subject: { identifier: 'bob', roles: ['engineer'] },
    action: 'data:export',
    resource: 'https://api.example.com/export?access_token=ghp_MARK12urltokenabcdefghijklmnopqrstu',
    context: { ...SECRETS, headers: { cookie: `session=${SECRETS.auth}` }, note: Object.values(SHAPES).join(' | '), shapes: SHAPES },
    operation: { name: 'export', args: { format: 'csv' } },
  });
  await fake.waitFor('chat.postMessage', (call) => JSON.stringify(call.body).includes(id), 30_000);
  await postSigned(`http://127.0.0.1:${service.port}/slack/events`, blockActionsPayload({ actionId: 'tollgate_approve', value: id, userId: 'UALICE', channel: CHANNEL }), { secret: SECRET });
  const failure = await handle.result().then(() => { throw new Error('the operation should have failed'); }, (error: Error) => error);
  expect(failure.message).toContain('upstream refused key [REDACTED]');
  await eventually(async () => fake.calls('chat.update').some((call) => JSON.stringify(call.body).includes(id)), 'the closed approval message');

  const workflow = service.client.temporal.workflow.getHandle(id);
  const description = await workflow.describe();
  const history = await workflow.fetchHistory();
  // Payloads are base64 in the history's JSON: decode each so a secret cannot hide in the encoding.
  const decodedPayloads: string[] = [];
  JSON.stringify(history, (_key, value) => {
    if (value && typeof value === 'object' && 'data' in value && value.data instanceof Uint8Array) decodedPayloads.push(Buffer.from(value.data).toString('utf8'));
    return value;
  });
  const historyText = JSON.stringify(history) + decodedPayloads.join('\n');
  const sinks: Record<string, string> = {
    slack: JSON.stringify(fake.calls()),
    audit: JSON.stringify((await service.store.pool.query('SELECT * FROM audit_entries')).rows),
    searchAttributes: JSON.stringify(description.searchAttributes) + JSON.stringify(description.typedSearchAttributes),
    ui: `${await description.staticSummary} ${await description.staticDetails} ${JSON.stringify(description.raw.workflowExecutionInfo)}`,
    history: historyText,
    statusQuery: JSON.stringify(await service.client.status(id)),
    error: `${failure.message} ${failure.stack}`,
    log: logged.join(''),
  };
  const leaks = Object.entries(sinks).flatMap(([sink, text]) => NEEDLES.filter((needle) => text.includes(needle)).map((needle) => `${sink}: ${needle}`));
  expect(leaks).toEqual([]);
  // The sinks saw the request, redacted: the checks above looked at real content.
  expect(sinks.slack).toContain('[REDACTED]');
  expect(sinks.audit).toContain('[REDACTED]');
  expect(sinks.statusQuery).toContain('[REDACTED]');
});

it('keeps secrets in operation arguments out of every sink but the handler and the history', { timeout: 120_000 }, async () => {
  const id = `secret-args-${Date.now().toString(36)}`;
  const before = { slack: fake.calls().length, log: logged.length };
  const handle = await service.client.submit({ id, subject: { identifier: 'bob' }, action: 'job:run', resource: 'job://nightly', operation: { name: 'echo', args: { ...SHAPES, ...SECRETS } } });
  expect((await handle.result()).status).toBe('completed');
  const sinks = {
    slack: JSON.stringify(fake.calls().slice(before.slack)),
    audit: JSON.stringify((await service.store.pool.query('SELECT * FROM audit_entries WHERE operation_id = $1', [id])).rows),
    statusQuery: JSON.stringify(await service.client.status(id)),
    log: logged.slice(before.log).join(''),
  };
  const leaks = Object.entries(sinks).flatMap(([sink, text]) => NEEDLES.filter((needle) => text.includes(needle)).map((needle) => `${sink}: ${needle}`));
  expect(leaks).toEqual([]);
  expect(handled.get(id)).toEqual({ ...SHAPES, ...SECRETS });
});

