import type { Command } from 'commander';
import { openAuditTrail, grantRevokedEntry } from '../audit/index.js';
import { listGrants, revokeGrant } from '../approval/grants.js';
import { CliExit, EXIT, printJson } from './io.js';
import { cliActor, withStore } from './context.js';

export function registerGrantCommands(program: Command): void {
  const grants = program.command('grants').description('standing grants: approvals that cover the same request for a while');
  grants.command('list')
    .description('live grants (add --all for revoked, expired and used-up ones)')
    .option('--all', 'include grants that have ended')
    .option('--json', 'print one JSON document')
    .action(async (options, command: Command) => {
      await withStore(command, async (store, config) => {
        const list = await listGrants(store.pool, { includeEnded: Boolean(options.all) });
        if (options.json) return printJson(list);
        if (!list.length) return console.log(options.all ? 'no grants' : 'no live grants');
        for (const g of list) {
          const state = g.revokedAt ? `revoked by ${g.revokedBy}` : `until ${g.expiresAt.toISOString()}`;
          console.log(`${g.id}  ${g.requester}  ${g.action}  ${g.scope}  rule=${g.rule}  by ${g.grantedBy}  ${g.uses}/${g.maxUses} uses  ${state}`);
        }
      });
    });
  grants.command('revoke')
    .description('end a grant at once: the next matching request waits for approval again')
    .argument('<id>', 'grant id (from `tollgate grants list`)')
    .action(async (id: string, _options, command: Command) => {
      await withStore(command, async (store, config) => {
        const revoked = await revokeGrant(store.pool, id, cliActor());
        if (!revoked) throw new CliExit(EXIT.outcome, `no live grant ${id} (see \`tollgate grants list\`)`);
        await openAuditTrail(store.pool, config).trail.append([grantRevokedEntry({ grantId: id, requester: revoked.requester, action: revoked.action, scope: revoked.scope }, cliActor())]);
        console.log(`revoked ${id}`);
      });
    });
}
