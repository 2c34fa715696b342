import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, bundleWorkflowCode, type NativeConnection, type WorkflowBundle } from '@temporalio/worker';
import { workerRuntime, type WorkerRuntime } from '../temporal/workerRuntime.js';
import { createActivities, type ActivityDependencies } from '../../activities/index.js';
import type { TollgateConfig } from '../config.js';
import { loadPolicySet } from '../policy/load.js';
import { PolicyEngine } from '../policy/engine.js';
import { policyFiles } from '../config.js';
import { PolicyInForce } from '../patterns/policyInForce.js';
import { defaultOperations, type OperationRegistry } from '../operation/registry.js';
import type { ApprovalEventSink } from '../operation/events.js';
import { BudgetLedger, formatBudgetAlert, type BudgetAlertSink } from '../budget/index.js';
import { logger } from '../log.js';
import { temporalLogger, WORKFLOW_LOG_INTERCEPTORS } from '../temporal/logger.js';
import type { Store } from '../store/index.js';
import type { ApproverDirectory } from '../approval/directory.js';
import { openAuditTrail, type AuditTrail } from '../audit/index.js';
import { workerTuning } from '../../temporal-config/tuning.js';
import { loadDecisionKey, type ServiceKey } from '../keys.js';

// `.ts` from a clone (tsx), `.js` from dist/: the workflows sit beside this module's own tree.
const EXTENSION = extname(fileURLToPath(import.meta.url));
export const WORKFLOWS_PATH = fileURLToPath(new URL(`../../workflows/index${EXTENSION}`, import.meta.url));
/** Written by `npm run build` (scripts/build.mjs): an installed package starts without bundling. */
export const PREBUILT_WORKFLOW_BUNDLE = fileURLToPath(new URL('../../workflows/bundle.js', import.meta.url));

/** What the bundler is given; the build's prebuilt bundle is made from the same options. */
export const workflowBundleOptions = () => ({
  workflowsPath: WORKFLOWS_PATH,
  workflowInterceptorModules: [WORKFLOW_LOG_INTERCEPTORS],
  logger: temporalLogger({ log: logger.child({ component: 'workflow-bundler' }) }),
});

let bundle: Promise<WorkflowBundle> | undefined;
/** Bundling the workflow code takes seconds; do it once per process and share it between workers. */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= EXTENSION === '.js' && existsSync(PREBUILT_WORKFLOW_BUNDLE)
    ? readFile(PREBUILT_WORKFLOW_BUNDLE, 'utf8').then((code) => ({ code }))
    : bundleWorkflowCode(workflowBundleOptions());
  return bundle;
}

const logBudgetAlerts: BudgetAlertSink = { sendBudgetAlert: async (alert) => logger.warn({ alert }, formatBudgetAlert(alert)) };

export interface TollgateWorkerOptions {
  config: TollgateConfig;
  approvals: ApprovalEventSink;
  operations?: OperationRegistry;
  enrichment?: ActivityDependencies['enrichment'];
  connection?: NativeConnection;
  identity?: string;
  /** The SQL store for the budget ledger; without it, operations with an estimatedCost fail. */
  store?: Store;
  /** The process's audit trail; default: one over the store, signed when the audit key is at hand. */
  audit?: AuditTrail;
  /** Approvers for the authority check; default: config.approvers only. */
  directory?: ApproverDirectory;
  /** Where budget threshold alerts go (Slack or console). */
  budgetAlerts?: BudgetAlertSink;
  /** The decision key proofs are verified with; default: loadDecisionKey(config) (its public half suffices). */
  decisionKey?: ServiceKey;
  /** The policy sets in force; default: compiled from config (policy, or rollout, and shadow). */
  policies?: PolicyInForce;
}

export interface TollgateWorker extends WorkerRuntime {
  policies: PolicyInForce;
}

/** The sets a config names, compiled; the rollout percentage comes from `percentage` (config's when omitted). */
export function loadPoliciesInForce(config: TollgateConfig, percentage: () => number = () => config.rollout?.percentage ?? 0): PolicyInForce {
  return new PolicyInForce(policyFiles(config), (file) => new PolicyEngine(loadPolicySet(file)), percentage);
}

export async function createTollgateWorker(options: TollgateWorkerOptions): Promise<TollgateWorker> {
  const { config } = options;
  const policies = options.policies ?? loadPoliciesInForce(config);
  const audit = options.audit ?? (options.store ? openAuditTrail(options.store.pool, config).trail : null);
  const decisionKey = options.decisionKey ?? loadDecisionKey(config);
  const workflows = await workflowBundle();
  const runtime = await workerRuntime(config, options.connection, (connection) => Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowBundle: workflows,
    // Settings that go with temporal-config's dynamic config (a dead worker's runs move on in 2 s).
    ...workerTuning,
    ...(options.identity ? { identity: options.identity } : {}),
    activities: createActivities({
      config,
      policies,
      operations: options.operations ?? defaultOperations,
      approvals: options.approvals,
      enrichment: options.enrichment,
      directory: options.directory,
      decisionPublicKey: decisionKey.publicKey,
      pool: options.store?.pool ?? null,
      audit,
      budget: options.store
        ? { config, ledger: new BudgetLedger(options.store.pool, config.budgets, audit ? { audit } : {}), db: options.store.pool, alerts: options.budgetAlerts ?? logBudgetAlerts }
        : null,
    }),
  }));
  return { ...runtime, policies };
}
