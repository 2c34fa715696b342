import type { Command } from 'commander';
import { openAuditTrail, approverTokenEntry } from '../audit/index.js';
import { createApproverToken, listApproverTokens, revokeApproverToken } from '../approval/tokens.js';
import { DURATION_HINT, parseDuration } from '../duration.js';
import { TollgateInputError } from '../errors.js';
import { CliExit, EXIT, printJson } from './io.js';
import { cliActor, withStore } from './context.js';

const expiry = (value: string) => {
  try {
    return parseDuration(value);
  } catch {
    throw new TollgateInputError(`--expires: expected ${DURATION_HINT}, got "${value}"`, '--expires');
  }
};

export function registerApproverCommands(program: Command): void {
  const approvers = program.command('approvers').description('approvers and their credentials for the decision API');
  const token = approvers.command('token').description('approver tokens: what `tollgate approvals approve` and the decision API authenticate');

  token.command('create')
    .description('create a token for an approver; it is printed once and only its hash is kept')
    .argument('<identifier>', 'the approver, as the approvers directory names them')
    .option('--expires <duration>', 'e.g. 90d (default: never)', expiry)
    .option('--json', 'print { id, identifier, token, expiresAt }')
    .action(async (identifier: string, options, command: Command) => {
      await withStore(command, async (store, config) => {
        const created = await createApproverToken(store.pool, { identifier, expiresInMs: options.expires, createdBy: cliActor() });
        await openAuditTrail(store.pool, config).trail.append([approverTokenEntry('approver_token_created', { tokenId: created.id, identifier: created.identifier, expiresAt: created.expiresAt }, cliActor())]);
        if (options.json) return printJson(created);
        console.log(`token ${created.id} for ${created.identifier}${created.expiresAt ? `, expires ${created.expiresAt}` : ', no expiry'}:`);
        console.log(created.token);
        console.log('It is shown only this once. Use it as TOLLGATE_TOKEN.');
      });
    });

  token.command('list')
    .description('tokens with their identities and expiry (never the tokens themselves)')
    .option('--json', 'print one JSON document')
    .action(async (options, command: Command) => {
      await withStore(command, async (store, config) => {
        const tokens = await listApproverTokens(store.pool);
        if (options.json) return printJson(tokens);
        if (!tokens.length) return console.log('no approver tokens');
        const now = Date.now();
        for (const t of tokens) {
          const state = t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : t.expiresAt && t.expiresAt.getTime() <= now ? `expired ${t.expiresAt.toISOString()}` : t.expiresAt ? `expires ${t.expiresAt.toISOString()}` : 'no expiry';
          console.log(`${t.id}  ${t.identifier}  created ${t.createdAt.toISOString()}  ${state}`);
        }
      });
    });

  token.command('revoke')
    .description('end a token at once')
    .argument('<id>', 'token id (from `tollgate approvers token list`)')
    .action(async (id: string, _options, command: Command) => {
      await withStore(command, async (store, config) => {
        if (!(await revokeApproverToken(store.pool, id))) throw new CliExit(EXIT.outcome, `no live approver token ${id} (see \`tollgate approvers token list\`)`);
        await openAuditTrail(store.pool, config).trail.append([approverTokenEntry('approver_token_revoked', { tokenId: id }, cliActor())]);
        console.log(`revoked ${id}`);
      });
    });
}
