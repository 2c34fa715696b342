import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config.js';
import { createSlackApp } from '../../../src/slack/app.js';
import { createApproverDirectory } from '../../../src/approval/directory.js';
import { SlackConfigurationError } from '../../../src/slack/errors.js';
import { InfrastructureUnavailableError } from '../../../src/errors.js';
import { FakeSlack } from '../../support/fakeSlack.js';
import { RecordingGateway } from '../../support/recordingGateway.js';

function build(env: Record<string, string>) {
  const config = parseConfig({ slack: { apiUrl: 'http://127.0.0.1:9/api/' } }, { env });
  return createSlackApp({ config, gateway: new RecordingGateway(), directory: createApproverDirectory(config) });
}

describe('createSlackApp', () => {
  it('uses the HTTP receiver by default and Socket Mode when SLACK_APP_TOKEN is set', () => {
    expect(build({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }).mode).toBe('http');
    expect(build({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1-A-1-abc' }).mode).toBe('socket');
  });

  it('refuses to start without the secrets it needs, naming the variable', () => {
    expect(() => build({ SLACK_SIGNING_SECRET: 's' })).toThrow(SlackConfigurationError);
    expect(() => build({ SLACK_SIGNING_SECRET: 's' })).toThrow('SLACK_BOT_TOKEN is not set');
    expect(() => build({ SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow('SLACK_SIGNING_SECRET is not set');
  });

  it('fails start() with a clear error, without the token, when Slack refuses auth.test', async () => {
    const fake = await FakeSlack.start();
    try {
      fake.failNext('auth.test', 'invalid_auth');
      const config = parseConfig({ slack: { apiUrl: fake.apiUrl } }, { env: { SLACK_BOT_TOKEN: 'xoxb-secret-value', SLACK_SIGNING_SECRET: 's' } });
      const app = createSlackApp({ config, gateway: new RecordingGateway(), directory: createApproverDirectory(config) });
      const attempt = app.start(0);
      await expect(attempt).rejects.toThrow('Slack rejected the bot token check (auth.test: invalid_auth); check SLACK_BOT_TOKEN and slack.apiUrl');
      await expect(attempt).rejects.toBeInstanceOf(InfrastructureUnavailableError);
      expect(fake.calls('auth.test')).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });
});
