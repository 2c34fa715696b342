/**
 * Approvals that prove who decided (issue 9), through the real service: its decision API, tokens,
 * OIDC, the signed `decide` Update and standing grants, on a real dev server and both databases.
 * Every way around the service must fail, leave the operation waiting, and be audited.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTemporal, type TestTemporal } from '../../support/temporal.js';
import { TEST_APPROVERS, eventually, quietTemporalRuntime, testConfig } from '../../support/governance.js';
import { databaseKinds, reportSkippedPostgres, serviceDatabase, type ServiceDatabase } from '../../support/databases.js';
import { newDecisionKey } from '../../support/decide.js';
import { ensureTemporalCli } from '../../../temporal-config/install.mjs';
import { startService, type RunningService } from '../../../src/service/service.js';
import { OperationRegistry } from '../../../src/operation/registry.js';
import { decideUpdate, legacyDecisionSignal, statusQuery } from '../../../src/operation/contract.js';
import type { DecideRequest, DecisionProof } from '../../../src/operation/schema.js';
import { signDecision } from '../../../src/approval/proof.js';
import { createApproverToken, revokeApproverToken } from '../../../src/approval/tokens.js';
import { revokeGrant } from '../../../src/approval/grants.js';
import { decideOperation } from '../../../src/client/decide.js';
import { DecisionRefusedError } from '../../../src/client/errors.js';
import { AuditTrail } from '../../../src/audit/index.js';
import type { TollgateConfig } from '../../../src/config.js';
import { loadDecisionKey } from '../../../src/keys.js';
import { logger } from '../../../src/log.js';

const run = promisify(execFile);

const POLICY = {
  name: 'decision-tests',
  rules: [
    { name: 'two_person_rule', effect: 'require_approval', actions: ['data:export'], resources: ['dataset://pii/*'], metadata: { approvalsRequired: 2, approvalTimeout: '1h' }, priority: 10 },
    { name: 'reports_grantable', effect: 'require_approval', actions: ['report:run'], resources: ['dataset://reports/*'], metadata: { approvalTimeout: '1h', grantable: { maxTtl: '1h', maxUses: 5 } }, priority: 15 },
    { name: 'export_needs_approval', effect: 'require_approval', actions: ['data:export'], metadata: { approvalTimeout: '1h' }, priority: 20 },
    { name: 'managers_decide', effect: 'allow', actions: ['approval:decide'], subjects: ['role:manager'], priority: 30 },
  ],
};

let temporal: TestTemporal;
let temporalCli: string;
/** Everything this process logs (the service logs to stderr): tokens must never be in it. */
const logged: string[] = [];
const realWrite = process.stderr.write.bind(process.stderr);
type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let jwks: { server: Server; url: string; key: SigningKey; otherKey: SigningKey; jwk: JWK };

beforeAll(async () => {
  quietTemporalRuntime();
  // Every level, so that a token would show if any log line carried one.
  logger.level = 'debug';
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    logged.push(String(chunk));
    return (realWrite as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  temporal = await startTestTemporal();
  temporalCli = await ensureTemporalCli();
  // A local identity provider: its JWKS lists one key; a second key is known to nobody.
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const other = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' };
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwks = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`, key: privateKey, otherKey: other.privateKey, jwk };
});

afterAll(async () => {
  process.stderr.write = realWrite as typeof process.stderr.write;
  logger.level = process.env.TOLLGATE_LOG_LEVEL ?? 'error';
  await new Promise((resolve) => jwks?.server.close(resolve));
  await temporal?.close();
});

const ISSUER = 'https://idp.test';
const AUDIENCE = 'tollgate';
const jwt = (claims: { sub?: string; aud?: string; exp?: number }, key = jwks.key, kid = 'idp-1') =>
  new SignJWT({ sub: claims.sub ?? 'alice' })
    .setProtectedHeader({ alg: 'ES256', kid })
    .setIssuer(ISSUER)
    .setAudience(claims.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 300)
    .sign(key);

reportSkippedPostgres('decisions through the service');
for (const kind of databaseKinds()) {
  describe(`decisions through the service [${kind}]`, () => {
    let database: ServiceDatabase;
    let config: TollgateConfig;
    let service: RunningService;
    let trail: AuditTrail;
    const tokens: Record<string, string> = {};
    const runs = new Map<string, number>();
    let sequence = 0;
    const requester = { identifier: 'bob', roles: ['engineer'] };

    beforeAll(async () => {
      database = await serviceDatabase(kind);
      config = await testConfig(POLICY, {
        address: temporal.address,
        approvers: TEST_APPROVERS,
        database: database.config,
        server: { port: 0 },
        auth: { oidc: { issuer: ISSUER, audience: AUDIENCE, jwksUrl: jwks.url } },
      });
      const operations = new OperationRegistry().register('export', async (_args, context) => {
        runs.set(context.operationId, (runs.get(context.operationId) ?? 0) + 1);
        return { ok: true };
      });
      service = await startService({ config, operations, serveEmbeddedDatabase: true });
      config.server.url = `http://127.0.0.1:${service.port}`;
      trail = new AuditTrail(service.store.pool);
      for (const who of ['alice', 'carol', 'bob', 'dave']) tokens[who] = (await createApproverToken(service.store.pool, { identifier: who })).token;
    });

    afterAll(async () => {
      await service?.stop();
      await database?.close();
    });

    const submit = async (resource = 'dataset://sales/q3', action = 'data:export', subject = requester) => {
      const id = `dec-${kind}-${Date.now().toString(36)}-${++sequence}`;
      const handle = await service.client.submit({ id, subject, action, resource, operation: { name: 'export' } });
      return { id, handle };
    };
    const awaiting = async (id: string) => eventually(async () => {
      const view = await service.client.status(id);
      return view.status === 'awaiting_approval' && view.requestDigest ? view : undefined;
    }, `${id} to await approval`);
    const refusals = async (id: string) => (await trail.query({ operationId: id, type: 'approval_refused' })).map((e) => e.data.refusal);
    const update = (id: string, request: unknown) => service.client.temporal.workflow.getHandle(id).executeUpdate(decideUpdate, { args: [request as DecideRequest] });
    /** The proof of the decide Update recorded in an operation's history: what anyone with read access can copy. */
    const proofsIn = async (id: string): Promise<DecisionProof[]> => {
      const history = await service.client.temporal.workflow.getHandle(id).fetchHistory();
      const proofs: DecisionProof[] = [];
      for (const event of history.events ?? []) {
        const payload = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.args?.payloads?.[0];
        if (payload?.data) proofs.push((JSON.parse(Buffer.from(payload.data).toString('utf8')) as DecideRequest).proof!);
      }
      return proofs;
    };

    describe('the attack: deciding around the service', () => {
      it('refuses a forged decision from the requester\'s own client, naming a real approver', async () => {
        const { id } = await submit();
        await awaiting(id);
        const forged = { decision: 'approve', approver: { identifier: 'alice' }, channel: 'api' };
        expect(await update(id, forged)).toMatchObject({ counted: false, refusal: 'missing' });
        // A proof made up by the agent, and one signed with a key the agent made itself.
        const fake = { v: 1, operationId: id, requestDigest: 'x'.repeat(64), at: Date.now(), nonce: 'n'.repeat(24), keyId: 'agent', signature: 'AAAA' };
        expect(await update(id, { ...forged, proof: fake })).toMatchObject({ counted: false, refusal: 'bad_signature' });
        const agentKey = newDecisionKey();
        const view = await service.client.status(id);
        const selfSigned = signDecision(agentKey.privateKey!, agentKey.publicKey, { operationId: id, requestDigest: view.requestDigest!, approver: 'alice', channel: 'api', decision: 'approve' });
        expect(await update(id, { ...forged, proof: selfSigned })).toMatchObject({ counted: false, refusal: 'bad_signature' });
        // The old signal is still heard, and refused.
        await service.client.temporal.workflow.getHandle(id).signal(legacyDecisionSignal, { decision: 'approve', approver: { identifier: 'alice' } });
        await eventually(async () => (await refusals(id)).includes('signal'), 'the refused signal in the audit trail');
        const after = await service.client.status(id);
        expect(after.status).toBe('awaiting_approval');
        expect(after.approval?.votes).toEqual([]);
        expect(await refusals(id)).toEqual(['missing', 'bad_signature', 'bad_signature', 'signal']);
        expect(runs.has(id)).toBe(false);
      });

      it('refuses a raw Update and a raw signal sent with the temporal CLI', async () => {
        const { id } = await submit();
        await awaiting(id);
        const cli = (...args: string[]) => run(temporalCli, [...args, '--address', temporal.address, '--namespace', temporal.namespace, '--workflow-id', id, '-o', 'json']);
        const { stdout } = await cli('workflow', 'update', 'execute', '--name', 'decide', '--input', JSON.stringify({ decision: 'approve', approver: { identifier: 'alice' }, channel: 'slack' }));
        expect(stdout).toContain('missing');
        await cli('workflow', 'signal', '--name', 'approvalDecision', '--input', JSON.stringify({ decision: 'approve', approver: { identifier: 'carol' } }));
        await eventually(async () => (await refusals(id)).length === 2, 'both refusals');
        expect(await refusals(id)).toEqual(['missing', 'signal']);
        expect((await service.client.status(id)).status).toBe('awaiting_approval');
      });

      it('refuses a proof taken from one operation and replayed on another, and a proof sent twice', async () => {
        const first = await submit('dataset://pii/users');
        const second = await submit('dataset://pii/users');
        await awaiting(first.id);
        await awaiting(second.id);
        expect(await decideOperation(config, first.id, 'approve', { token: tokens.alice })).toMatchObject({ counted: true, approvals: { have: 1, need: 2 } });
        const [proof] = await proofsIn(first.id);
        expect(proof.operationId).toBe(first.id);
        const copied = { decision: 'approve', approver: { identifier: 'alice' }, channel: 'api', proof };
        expect(await update(second.id, copied)).toMatchObject({ counted: false, refusal: 'other_operation' });
        expect(await update(first.id, copied)).toMatchObject({ counted: false, refusal: 'reused' });
        // Re-signing the copy for the other operation needs the key, so it fails too.
        expect(await update(second.id, { ...copied, proof: { ...proof, operationId: second.id } })).toMatchObject({ counted: false, refusal: 'bad_signature' });
        expect(await refusals(first.id)).toEqual(['reused']);
        expect(await refusals(second.id)).toEqual(['other_operation', 'bad_signature']);
        expect((await service.client.status(first.id)).approval?.votes).toHaveLength(1);
        expect((await service.client.status(second.id)).status).toBe('awaiting_approval');
      });

      it('refuses a proof for another request digest and one older than its window', async () => {
        const { id } = await submit();
        const view = await awaiting(id);
        const signer = loadDecisionKey(config);
        const claim = { operationId: id, approver: 'alice', channel: 'api' as const, decision: 'approve' as const };
        const otherRequest = signDecision(signer.privateKey!, signer.publicKey, { ...claim, requestDigest: 'f'.repeat(64) });
        expect(await update(id, { decision: 'approve', approver: { identifier: 'alice' }, channel: 'api', proof: otherRequest })).toMatchObject({ counted: false, refusal: 'other_request' });
        const stale = signDecision(signer.privateKey!, signer.publicKey, { ...claim, requestDigest: view.requestDigest! }, Date.now() - 10 * 60_000);
        expect(await update(id, { decision: 'approve', approver: { identifier: 'alice' }, channel: 'api', proof: stale })).toMatchObject({ counted: false, refusal: 'expired' });
        expect(await refusals(id)).toEqual(['other_request', 'expired']);
        expect((await service.client.status(id)).status).toBe('awaiting_approval');
      });

      it('refuses malformed decisions in the Update\'s validator, before they reach the workflow', async () => {
        const { id } = await submit();
        await awaiting(id);
        for (const bad of [{}, { decision: 'approve' }, { decision: 'approve', approver: {} , channel: 'api' }, { decision: 'yes', approver: { identifier: 'alice' }, channel: 'api' }, 'approve', null]) {
          await expect(update(id, bad)).rejects.toThrow();
        }
        expect(await refusals(id)).toEqual([]);
        expect(await decideOperation(config, id, 'approve', { token: tokens.alice })).toMatchObject({ counted: true, outcome: 'approved' });
      });
    });

    describe('approver tokens', () => {
      it('approves with a valid token of an approver with authority, and answers whether it counted', async () => {
        const { id, handle } = await submit();
        await awaiting(id);
        const result = await decideOperation(config, id, 'approve', { token: tokens.alice, note: 'CHG-9' });
        expect(result).toMatchObject({ counted: true, outcome: 'approved', approvals: { have: 1, need: 1 } });
        expect((await handle.result()).approval?.votes).toMatchObject([{ approver: { identifier: 'alice' }, channel: 'api', notes: 'CHG-9' }]);
        expect(runs.get(id)).toBe(1);
      });

      it('refuses a directory member without authority (403), unknown, revoked and expired tokens (401), and the requester\'s own token (403)', async () => {
        const { id } = await submit();
        await awaiting(id);
        const refusal = (token: string) => decideOperation(config, id, 'approve', { token }).then(() => null, (error) => error as DecisionRefusedError);
        expect(await refusal(tokens.dave)).toMatchObject({ httpStatus: 403, message: expect.stringContaining('does not allow dave approval:decide') });
        expect(await refusal(tokens.bob)).toMatchObject({ httpStatus: 403, message: expect.stringContaining('requested this operation') });
        expect(await refusal(`tg_${'A'.repeat(43)}`)).toMatchObject({ httpStatus: 401, message: 'unknown approver token' });
        const revoked = await createApproverToken(service.store.pool, { identifier: 'carol' });
        await revokeApproverToken(service.store.pool, revoked.id);
        expect(await refusal(revoked.token)).toMatchObject({ httpStatus: 401, message: expect.stringContaining('was revoked') });
        const expired = await createApproverToken(service.store.pool, { identifier: 'carol', expiresInMs: 1 });
        await new Promise((r) => setTimeout(r, 10));
        expect(await refusal(expired.token)).toMatchObject({ httpStatus: 401, message: expect.stringContaining('expired') });
        // None of these reached the workflow.
        expect((await service.client.status(id)).approval?.refused).toEqual([]);
        expect(await refusals(id)).toEqual([]);
        expect((await service.client.status(id)).status).toBe('awaiting_approval');
      });

      it('never writes a token to the audit trail, the workflow history or the log', async () => {
        const { id } = await submit();
        await awaiting(id);
        await decideOperation(config, id, 'approve', { token: tokens.carol });
        // A refused token is logged as refused, never as itself.
        await decideOperation(config, id, 'approve', { token: `tg_${'B'.repeat(43)}` }).catch(() => undefined);
        const everything = JSON.stringify(await trail.query({})) + JSON.stringify(await service.client.temporal.workflow.getHandle(id).fetchHistory()) + logged.join('');
        expect(logged.join('')).toContain('refused an unauthenticated decision');
        for (const token of [...Object.values(tokens), `tg_${'B'.repeat(43)}`]) expect(everything).not.toContain(token.slice(3));
      });
    });

    describe('OIDC bearer tokens', () => {
      it('approves with a JWT from the configured issuer', async () => {
        const { id } = await submit();
        await awaiting(id);
        expect(await decideOperation(config, id, 'approve', { token: await jwt({ sub: 'alice' }) })).toMatchObject({ counted: true, outcome: 'approved' });
      });

      it('refuses a wrong audience, an expired token and a key the JWKS does not list', async () => {
        const { id } = await submit();
        await awaiting(id);
        const refusal = async (token: string) => decideOperation(config, id, 'approve', { token }).then(() => null, (error) => error as DecisionRefusedError);
        expect(await refusal(await jwt({ aud: 'someone-else' }))).toMatchObject({ httpStatus: 401, message: expect.stringContaining('another audience') });
        expect(await refusal(await jwt({ exp: Math.floor(Date.now() / 1000) - 120 }))).toMatchObject({ httpStatus: 401, message: expect.stringContaining('expired') });
        expect(await refusal(await jwt({}, jwks.otherKey, 'idp-unknown'))).toMatchObject({ httpStatus: 401, message: expect.stringContaining('does not list') });
        expect(await refusal(await jwt({}, jwks.otherKey, 'idp-1'))).toMatchObject({ httpStatus: 401 });
        expect((await service.client.status(id)).status).toBe('awaiting_approval');
      });
    });

    describe('standing grants', () => {
      const reports = (resource: string, subject = requester) => submit(resource, 'report:run', subject);

      it('approves and grants; the next matching request is approved without a wait, and its audit names the grant', async () => {
        const first = await reports('dataset://reports/q1');
        await awaiting(first.id);
        const result = await decideOperation(config, first.id, 'approve', { token: tokens.alice, grant: { ttl: '30m', scope: 'dataset://reports/*', uses: 3 } });
        expect(result).toMatchObject({ counted: true, outcome: 'approved', grant: { scope: 'dataset://reports/*', uses: 3 } });
        await first.handle.result();
        const next = await reports('dataset://reports/q2');
        const completed = await next.handle.result();
        expect(completed.approval).toMatchObject({ outcome: 'approved', votes: [], grantedBy: { grantId: result.grant!.id, grantedBy: 'alice' } });
        const [decision] = await trail.query({ operationId: next.id, type: 'approval_decision' });
        expect(decision).toMatchObject({ actor: 'alice', outcome: 'approved', data: { notes: expect.stringMatching(new RegExp(`^approved by grant ${result.grant!.id} \\(granted by alice at .+\\)$`)) } });
        expect(await trail.query({ operationId: first.id, type: 'approval_granted' })).toHaveLength(1);
        await revokeGrant(service.store.pool, result.grant!.id, 'test');
      });

      it('does not cover another requester, another action, a resource outside its scope, or anything after expiry or revocation', async () => {
        const first = await reports('dataset://reports/r1');
        await awaiting(first.id);
        await decideOperation(config, first.id, 'approve', { token: tokens.alice, grant: { ttl: '2s', scope: 'dataset://reports/r*' } });
        const waits = async (op: Promise<{ id: string }>) => (await awaiting((await op).id)).status === 'awaiting_approval';
        expect(await waits(reports('dataset://reports/r2', { identifier: 'erin', roles: [] }))).toBe(true);
        expect(await waits(submit('dataset://reports/r2', 'data:export'))).toBe(true);
        expect(await waits(reports('dataset://reports/q9'))).toBe(true);
        await new Promise((r) => setTimeout(r, 2_100));
        expect(await waits(reports('dataset://reports/r3'))).toBe(true);

        const again = await reports('dataset://reports/s1');
        await awaiting(again.id);
        const second = await decideOperation(config, again.id, 'approve', { token: tokens.carol, grant: { ttl: '1h', scope: 'dataset://reports/s*' } });
        expect((await (await reports('dataset://reports/s2')).handle.result()).approval?.grantedBy?.grantId).toBe(second.grant!.id);
        await revokeGrant(service.store.pool, second.grant!.id, 'test');
        expect(await waits(reports('dataset://reports/s3'))).toBe(true);
      });

      it('never gets past maxUses under 20 parallel requests', async () => {
        const first = await reports('dataset://reports/p0', { identifier: 'pat', roles: [] });
        await awaiting(first.id);
        const { grant } = await decideOperation(config, first.id, 'approve', { token: tokens.alice, grant: { ttl: '1h', scope: 'dataset://reports/p*', uses: 5 } });
        const parallel = await Promise.all(Array.from({ length: 20 }, (_, i) => reports(`dataset://reports/p${i + 1}`, { identifier: 'pat', roles: [] })));
        const settled = await Promise.all(parallel.map(({ id }) => eventually(async () => {
          const view = await service.client.status(id);
          return view.status === 'awaiting_approval' || view.status === 'completed' ? view.status : undefined;
        }, `${id} to settle`)));
        expect(settled.filter((s) => s === 'completed')).toHaveLength(5);
        expect(settled.filter((s) => s === 'awaiting_approval')).toHaveLength(15);
        const { rows } = await service.store.pool.query('SELECT uses, max_uses FROM approval_grants WHERE id = $1', [grant!.id]);
        expect(rows[0]).toEqual({ uses: 5, max_uses: 5 });
      });

      it('refuses a grant on a rule that does not offer one, and terms past the rule\'s caps', async () => {
        const { id } = await submit();
        await awaiting(id);
        const refusal = (grant: { ttl: string; uses?: number; scope?: string }, op = id) => decideOperation(config, op, 'approve', { token: tokens.alice, grant }).then(() => null, (error) => error as DecisionRefusedError);
        expect(await refusal({ ttl: '1h' })).toMatchObject({ httpStatus: 400, message: expect.stringContaining('does not offer standing grants') });
        const report = await reports('dataset://reports/c1');
        await awaiting(report.id);
        expect(await refusal({ ttl: '2h' }, report.id)).toMatchObject({ httpStatus: 400, message: expect.stringContaining('longer than rule reports_grantable\'s maxTtl of 1h') });
        expect(await refusal({ ttl: '1h', uses: 6 }, report.id)).toMatchObject({ httpStatus: 400, message: expect.stringContaining('maxUses of 5') });
        expect(await refusal({ ttl: '1h', scope: 'dataset://other/*' }, report.id)).toMatchObject({ httpStatus: 400, message: expect.stringContaining('does not cover') });
        expect((await service.client.status(report.id)).status).toBe('awaiting_approval');
      });
    });

    it('answers 404 for an unknown operation and 409 once an operation is decided', async () => {
      await expect(decideOperation(config, 'no-such-op', 'approve', { token: tokens.alice })).rejects.toThrow(/no governed operation with id no-such-op/);
      const { id, handle } = await submit();
      await awaiting(id);
      await decideOperation(config, id, 'reject', { token: tokens.alice, note: 'no' });
      await handle.result().catch(() => undefined);
      await expect(decideOperation(config, id, 'approve', { token: tokens.carol })).rejects.toMatchObject({ httpStatus: 409 });
      expect((await service.client.temporal.workflow.getHandle(id).query(statusQuery)).status).toBe('rejected');
    });
  });
}
