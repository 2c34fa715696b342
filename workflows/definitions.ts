import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ApprovalDecision } from '../src/operation/schema.js';
import type { OperationStatusView } from '../src/operation/types.js';

/** Shared by the workflow, the client and the Slack handlers, so a name can never drift. */
export const WORKFLOW_TYPE = 'governedOperation';
export const approvalDecisionSignal = defineSignal<[ApprovalDecision]>('approvalDecision');
export const statusQuery = defineQuery<OperationStatusView>('status');
