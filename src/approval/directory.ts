import type { Approver, TollgateConfig } from '../config.js';
import { logger as rootLogger, type Logger } from '../log.js';
import { canonicalIdentity } from './identity.js';

/** One person who may decide, as the policy engine sees them. */
export interface DirectoryApprover {
  /** The directory's identity for them: what votes, audit entries and quorums count. */
  identifier: string;
  slackUserId?: string;
  roles: string[];
  attributes: Record<string, unknown>;
  tags: Record<string, string>;
}

/** Who the approvers are: `approvers` from config plus members of Slack user groups. */
export interface ApproverDirectory {
  bySlackUser(slackUserId: string): Promise<DirectoryApprover | null>;
  /** Compares canonical forms (src/approval/identity.ts): `Alice` finds `alice`. */
  byIdentifier(identifier: string): Promise<DirectoryApprover | null>;
  /** Approvers holding any of `roles` (all approvers when `roles` is empty), for mentions. */
  withRoles(roles: readonly string[]): Promise<DirectoryApprover[]>;
}

/** Every name a directory entry goes by: a requester under any of them may not approve. */
export const namesOf = (approver: Pick<DirectoryApprover, 'identifier' | 'slackUserId'>): string[] =>
  approver.slackUserId ? [approver.identifier, approver.slackUserId] : [approver.identifier];

/** Lists the Slack user ids in a user group (`usergroups.users.list`). */
export type GroupMemberLister = (usergroupId: string) => Promise<string[]>;

/** The slice of a WebClient the directory needs. */
export interface UsergroupsClient {
  usergroups: { users: { list(args: { usergroup: string }): Promise<{ ok?: boolean; users?: string[]; error?: string }> } };
}

export function slackGroupMembers(client: UsergroupsClient): GroupMemberLister {
  return async (usergroup) => {
    const result = await client.usergroups.users.list({ usergroup });
    return result.users ?? [];
  };
}

export interface ApproverGroup {
  usergroupId: string;
  roles: string[];
}

export interface ApproverDirectoryOptions {
  approvers: readonly Approver[];
  groups?: readonly ApproverGroup[];
  listGroupMembers?: GroupMemberLister;
  /** How long group membership is trusted; short, because removing someone must take effect. */
  cacheTtlMs?: number;
  now?: () => number;
  logger?: Logger;
}

interface CachedGroup {
  members: string[];
  fetchedAt: number;
}

/**
 * Approvers from config, plus members of Slack user groups (`slack.approverGroups`).
 * A group member who is not listed in config is known by their Slack user id, which is
 * then also their identifier. Someone in both gets the union of the roles.
 */
export class SlackApproverDirectory implements ApproverDirectory {
  private readonly approvers: readonly Approver[];
  private readonly groups: readonly ApproverGroup[];
  private readonly listGroupMembers?: GroupMemberLister;
  private readonly cacheTtlMs: number;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly cache = new Map<string, CachedGroup>();
  private readonly inflight = new Map<string, Promise<string[]>>();

  constructor(options: ApproverDirectoryOptions) {
    this.approvers = options.approvers;
    this.groups = options.groups ?? [];
    this.listGroupMembers = options.listGroupMembers;
    this.cacheTtlMs = options.cacheTtlMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? rootLogger;
  }

  async bySlackUser(slackUserId: string): Promise<DirectoryApprover | null> {
    return (await this.all()).find((approver) => approver.slackUserId === slackUserId) ?? null;
  }

  async byIdentifier(identifier: string): Promise<DirectoryApprover | null> {
    const wanted = canonicalIdentity(identifier);
    return (await this.all()).find((approver) => canonicalIdentity(approver.identifier) === wanted) ?? null;
  }

  async withRoles(roles: readonly string[]): Promise<DirectoryApprover[]> {
    const everyone = await this.all();
    if (!roles.length) return everyone;
    return everyone.filter((approver) => approver.roles.some((role) => roles.includes(role)));
  }

  /** Every approver, config entries first, merged with current group membership. */
  private async all(): Promise<DirectoryApprover[]> {
    const byKey = new Map<string, DirectoryApprover>();
    for (const approver of this.approvers) {
      byKey.set(approver.slackUserId ?? `id:${approver.identifier}`, {
        identifier: approver.identifier,
        ...(approver.slackUserId ? { slackUserId: approver.slackUserId } : {}),
        roles: [...approver.roles],
        attributes: { ...approver.attributes },
        tags: { ...approver.tags },
      });
    }
    for (const group of this.groups) {
      for (const userId of await this.members(group.usergroupId)) {
        const known = byKey.get(userId);
        if (known) {
          known.roles = [...new Set([...known.roles, ...group.roles])];
        } else {
          byKey.set(userId, { identifier: userId, slackUserId: userId, roles: [...group.roles], attributes: {}, tags: {} });
        }
      }
    }
    return [...byKey.values()];
  }

  /**
   * Group members, cached for `cacheTtlMs`. When Slack cannot be asked, a stale list is
   * better than none for reminders; with no list at all the group grants nobody anything.
   */
  private async members(usergroupId: string): Promise<string[]> {
    if (!this.listGroupMembers) return [];
    const cached = this.cache.get(usergroupId);
    if (cached && this.now() - cached.fetchedAt < this.cacheTtlMs) return cached.members;
    let pending = this.inflight.get(usergroupId);
    if (!pending) {
      pending = this.listGroupMembers(usergroupId).finally(() => this.inflight.delete(usergroupId));
      this.inflight.set(usergroupId, pending);
    }
    try {
      const members = await pending;
      this.cache.set(usergroupId, { members, fetchedAt: this.now() });
      return members;
    } catch (error) {
      this.logger.warn({ usergroupId, err: (error as Error).message }, 'could not list Slack user group members');
      return cached?.members ?? [];
    }
  }
}

/** The directory for a config; pass a WebClient to resolve `slack.approverGroups`. */
export function createApproverDirectory(
  config: Pick<TollgateConfig, 'approvers' | 'slack'>,
  client?: UsergroupsClient,
  options: Pick<ApproverDirectoryOptions, 'cacheTtlMs' | 'now' | 'logger'> = {},
): SlackApproverDirectory {
  return new SlackApproverDirectory({
    approvers: config.approvers,
    groups: config.slack.approverGroups,
    ...(client ? { listGroupMembers: slackGroupMembers(client) } : {}),
    ...options,
  });
}
