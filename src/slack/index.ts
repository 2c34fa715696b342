/** The Slack side of Tollgate: what the service, the activities and the CLI import. */
export * from './types.js';
export {
  approvalRequestMessage,
  approvalProgressMessage,
  approvalOutcomeMessage,
  escalationNotice,
  reminderText,
  rejectReasonModal,
  readRejectModalMetadata,
  budgetAlertMessage,
  temporalWorkflowUrl,
  APPROVE_ACTION_ID,
  REJECT_ACTION_ID,
  REJECT_MODAL_CALLBACK_ID,
  type BuiltMessage,
  type RejectModalMetadata,
} from './blocks.js';
export { approvalMessageInput } from './approvalInput.js';
export { SlackApproverDirectory, createApproverDirectory, slackGroupMembers, type ApproverDirectoryOptions } from '../approval/directory.js';
export { createSlackApp, SLACK_EVENTS_PATH, type CreateSlackAppOptions, type TollgateSlackApp, type CustomRoute } from './app.js';
export {
  SlackNotifier,
  ConsoleNotifier,
  createNotifier,
  APPROVAL_EVENT_TYPE,
  BUDGET_ALERT_EVENT_TYPE,
  type ApprovalNotifier,
  type SlackNotifierOptions,
  type ConsoleNotifierOptions,
} from './notifier.js';
export { SlackConfigurationError } from './errors.js';
export { NotifierApprovalSink, approvalEventSink, outcomeOf, requestKey, reminderKey, escalationKey } from './eventSink.js';
export { precheckClick, type ClickPrecheck } from './precheck.js';
export { SignatureReplayCache } from './replayGuard.js';
