/**
 * The idempotency keys of the messages Tollgate posts for an operation: a retried activity finds
 * its earlier post by key (an SQL row, or the key in the message's Slack metadata).
 */
export const requestKey = (operationId: string) => `${operationId}:request`;
export const reminderKey = (operationId: string) => `${operationId}:reminder`;
export const escalationKey = (operationId: string, channel: string) => `${operationId}:escalation:${channel}`;
