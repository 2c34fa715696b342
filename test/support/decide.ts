/**
 * Deciding operations in tests. `decide` goes the way a person's decision goes through the
 * service (the decision service's checks, its signature, the Update); `sendSigned` skips the
 * service's own checks and sends a correctly signed Update straight to the workflow, to show what
 * the workflow refuses by itself.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { createApproverDirectory } from '../../src/approval/directory.js';
import { signDecision } from '../../src/approval/proof.js';
import type { TollgateConfig } from '../../src/config.js';
import { loadDecisionKey, type ServiceKey } from '../../src/keys.js';
import { decideUpdate, statusQuery } from '../../src/operation/contract.js';
import type { DecideRequest, DecideResult } from '../../src/operation/schema.js';
import { loadPoliciesInForce } from '../../src/service/worker.js';
import { createDecisionService, type DecisionOutcome, type DecisionService } from '../../src/service/decisions.js';

/** A fresh key, as `tollgate start` would make one (test/support/setup.ts puts one in the env). */
export function newDecisionKey(): ServiceKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey, source: 'test', publicKeyBase64: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') };
}

export interface TestDecider {
  service: DecisionService;
  /** As a person deciding through the service: the result, or the service's refusal. */
  decide(id: string, who: string, decision: 'approve' | 'reject', options?: { notes?: string; grant?: DecideRequest['grant']; slackUserId?: string; channel?: 'api' | 'slack' }): Promise<DecisionOutcome>;
  approve(id: string, who: string, notes?: string): Promise<DecideResult>;
  reject(id: string, who: string, notes?: string): Promise<DecideResult>;
  /** A correctly signed Update sent past the service's checks: only the workflow's own checks apply. */
  sendSigned(id: string, who: string, decision: 'approve' | 'reject', notes?: string): Promise<DecideResult>;
}

export function testDecider(temporal: Client, config: TollgateConfig, key: ServiceKey = loadDecisionKey(config)): TestDecider {
  const service = createDecisionService({
    temporal, key, directory: createApproverDirectory(config), policies: loadPoliciesInForce(config), config,
  });
  const decide: TestDecider['decide'] = (id, who, decision, options = {}) => service.decide({
    operationId: id, identity: who, decision, channel: options.channel ?? 'api', notes: options.notes, grant: options.grant, slackUserId: options.slackUserId,
  });
  const counted = async (outcome: DecisionOutcome) => {
    if (outcome.ok) return outcome.result;
    if (outcome.result) return outcome.result;
    throw new Error(`decision refused (${outcome.status}): ${outcome.reason}`);
  };
  return {
    service,
    decide,
    approve: async (id, who, notes) => counted(await decide(id, who, 'approve', { notes })),
    reject: async (id, who, notes) => counted(await decide(id, who, 'reject', { notes })),
    async sendSigned(id, who, decision, notes) {
      const handle = temporal.workflow.getHandle(id);
      const view = await handle.query(statusQuery);
      const request: DecideRequest = { decision, approver: { identifier: who }, channel: 'api', ...(notes ? { notes } : {}) };
      request.proof = signDecision(key.privateKey!, key.publicKey, { operationId: id, requestDigest: view.requestDigest!, approver: who, channel: 'api', decision, notes });
      return handle.executeUpdate(decideUpdate, { args: [request] });
    },
  };
}
