import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { startDevServer, type DevServerHandle } from '../../temporal-config/devServer.js';
import { RecordingApprovalSink, TEST_APPROVERS, WORKFLOW_TEST_POLICY, eventually, quietTemporalRuntime, testConfig } from '../support/governance.js';
import { GovernanceClient } from '../../src/client/GovernanceClient.js';
import { createTollgateWorker, type TollgateWorker } from '../../src/service/worker.js';
import type { TollgateConfig } from '../../src/config.js';
import { testDecider } from '../support/decide.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

let config: TollgateConfig;
let dir: string;
let server: DevServerHandle;
let worker: TollgateWorker;
let client: GovernanceClient;
let browser: Browser;

beforeAll(async () => {
  quietTemporalRuntime();
  dir = await mkdtemp(join(tmpdir(), 'tollgate-ui-'));
  server = await startDevServer({ dbFile: join(dir, 'temporal.db'), ports: 'free' });
  config = await testConfig(WORKFLOW_TEST_POLICY, { address: server.address, approvers: TEST_APPROVERS });
  worker = await createTollgateWorker({ config, approvals: new RecordingApprovalSink() });
  void worker.run();
  client = await GovernanceClient.connect(config);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
});

afterAll(async () => {
  await browser?.close();
  await client?.close();
  await worker?.shutdown();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

it('an operator finds a waiting approval in the Temporal UI by its search attributes and sees why it waits', async () => {
  const waiting = `ui-waiting-${Date.now()}`;
  const done = `ui-done-${Date.now()}`;
  await client.submit({ id: waiting, subject: { identifier: 'bob' }, action: 'data:export', resource: 'dataset://sales', operation: undefined });
  await (await client.submit({ id: done, subject: { identifier: 'bob' }, action: 'data:read', resource: 'dataset://sales' })).result();
  await eventually(async () => (await client.listApprovals()).some((p) => p.id === waiting), 'visibility to index the waiting approval');

  const page = await browser.newPage();
  const query = encodeURIComponent('TollgateStatus="awaiting_approval"');
  await page.goto(`${server.uiUrl}/namespaces/default/workflows?query=${query}`);
  await page.getByText(waiting).first().waitFor({ timeout: 30_000 });
  expect(await page.getByText(done).count()).toBe(0);
  await page.screenshot({ path: join(dir, 'approvals.png'), fullPage: true });

  await page.goto(`${server.uiUrl}/namespaces/default/workflows/${waiting}`);
  // The summary set at start and the details the workflow keeps current live under "User Metadata",
  // rendered as markdown in sandboxed iframes: look in every frame.
  await page.getByText('User Metadata').first().click();
  const inSomeFrame = (text: string) => eventually(async () => {
    for (const frame of page.frames()) if ((await frame.content()).includes(text)) return true;
    return false;
  }, `"${text}" on the workflow page`, 30_000);
  await inSomeFrame('bob: data:export dataset://sales');
  await inSomeFrame('awaiting_approval');
  await inSomeFrame('export_needs_approval');
  await page.screenshot({ path: process.env.TOLLGATE_UI_SCREENSHOT ?? join(dir, 'workflow.png'), fullPage: true });
  await testDecider(client.temporal, config).reject(waiting, 'alice');
});
