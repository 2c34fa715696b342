import { describe, expect, it } from 'vitest';
import { parseConfig, type Approver } from '../../../src/config.js';
import type { WebClient } from '@slack/web-api';
import { SlackApproverDirectory, createApproverDirectory, type UsergroupsClient } from '../../../src/approval/directory.js';

// A Bolt/Web API client must fit where the directory takes one.
const _clientFits: (client: WebClient) => UsergroupsClient = (client) => client;
void _clientFits;

const approvers: Approver[] = [
  { identifier: 'alice', slackUserId: 'U0ALICE', roles: ['manager'], attributes: { team_id: 'team-a' }, tags: {} },
  { identifier: 'bob', slackUserId: 'U0BOB', roles: ['security'], attributes: {}, tags: { tenant_id: 'acme' } },
  { identifier: 'cli-carol', roles: ['manager'], attributes: {}, tags: {} },
];

describe('ApproverDirectory from config', () => {
  const directory = new SlackApproverDirectory({ approvers });

  it('finds approvers by Slack user and by identifier', async () => {
    expect(await directory.bySlackUser('U0ALICE')).toEqual({ identifier: 'alice', slackUserId: 'U0ALICE', roles: ['manager'], attributes: { team_id: 'team-a' }, tags: {} });
    expect((await directory.byIdentifier('bob'))?.slackUserId).toBe('U0BOB');
    expect((await directory.byIdentifier('cli-carol'))?.slackUserId).toBeUndefined();
    expect(await directory.bySlackUser('U0NOBODY')).toBeNull();
    expect(await directory.byIdentifier('mallory')).toBeNull();
  });

  it('lists approvers holding any of the roles, everyone for no roles', async () => {
    expect((await directory.withRoles(['manager'])).map((a) => a.identifier)).toEqual(['alice', 'cli-carol']);
    expect((await directory.withRoles(['security', 'manager'])).map((a) => a.identifier)).toEqual(['alice', 'bob', 'cli-carol']);
    expect(await directory.withRoles(['auditor'])).toEqual([]);
    expect(await directory.withRoles([])).toHaveLength(3);
  });

  it('hands out copies, so callers cannot change the directory', async () => {
    const alice = await directory.bySlackUser('U0ALICE');
    alice!.roles.push('admin');
    expect((await directory.bySlackUser('U0ALICE'))!.roles).toEqual(['manager']);
  });

  it('is built from a parsed config', async () => {
    const config = parseConfig({ approvers: [{ slackUserId: 'U01', identifier: 'alice', roles: ['manager'] }] }, { env: {} });
    expect((await createApproverDirectory(config).bySlackUser('U01'))?.roles).toEqual(['manager']);
  });
});

describe('ApproverDirectory with Slack user groups', () => {
  function setup(members: Record<string, string[] | Error>) {
    let now = 1_000_000;
    const asked: string[] = [];
    const directory = new SlackApproverDirectory({
      approvers,
      groups: [{ usergroupId: 'S0ONCALL', roles: ['oncall'] }, { usergroupId: 'S0MGRS', roles: ['manager', 'lead'] }],
      listGroupMembers: async (id) => {
        asked.push(id);
        const answer = members[id];
        if (answer instanceof Error) throw answer;
        return answer ?? [];
      },
      cacheTtlMs: 30_000,
      now: () => now,
    });
    return { directory, asked, members, advance: (ms: number) => { now += ms; } };
  }

  it('adds group members as approvers with the group roles, merged with config entries', async () => {
    const { directory } = setup({ S0ONCALL: ['U0DAVE', 'U0ALICE'], S0MGRS: ['U0DAVE'] });
    expect(await directory.bySlackUser('U0DAVE')).toEqual({ identifier: 'U0DAVE', slackUserId: 'U0DAVE', roles: ['oncall', 'manager', 'lead'], attributes: {}, tags: {} });
    expect((await directory.bySlackUser('U0ALICE'))?.roles).toEqual(['manager', 'oncall']);
    expect((await directory.byIdentifier('U0DAVE'))?.slackUserId).toBe('U0DAVE');
    expect((await directory.withRoles(['oncall'])).map((a) => a.identifier)).toEqual(['alice', 'U0DAVE']);
  });

  it('caches membership briefly, then asks Slack again', async () => {
    const { directory, asked, members, advance } = setup({ S0ONCALL: ['U0DAVE'], S0MGRS: [] });
    await directory.bySlackUser('U0DAVE');
    await directory.bySlackUser('U0DAVE');
    expect(asked).toEqual(['S0ONCALL', 'S0MGRS']);
    members.S0ONCALL = [];
    advance(31_000);
    expect(await directory.bySlackUser('U0DAVE')).toBeNull();
    expect(asked).toEqual(['S0ONCALL', 'S0MGRS', 'S0ONCALL', 'S0MGRS']);
  });

  it('grants nothing through a group Slack cannot list, and keeps config approvers working', async () => {
    const { directory } = setup({ S0ONCALL: new Error('ratelimited'), S0MGRS: [] });
    expect(await directory.bySlackUser('U0DAVE')).toBeNull();
    expect((await directory.bySlackUser('U0BOB'))?.identifier).toBe('bob');
  });

  it('keeps the last known membership when a refresh fails', async () => {
    const { directory, members, advance } = setup({ S0ONCALL: ['U0DAVE'], S0MGRS: [] });
    expect(await directory.bySlackUser('U0DAVE')).not.toBeNull();
    members.S0ONCALL = new Error('fetch failed');
    advance(31_000);
    expect(await directory.bySlackUser('U0DAVE')).not.toBeNull();
  });
});
