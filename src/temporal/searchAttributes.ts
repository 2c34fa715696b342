import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes (DESIGN.md "Workflow contract"). They are not encrypted by a
 * payload codec, so they carry identifiers and names only, never context values or secrets.
 * Kept within the SQL visibility store's limits (10 Keyword, 3 Datetime).
 */
export const TollgateStatus = defineSearchAttributeKey('TollgateStatus', SearchAttributeType.KEYWORD);
export const TollgateAction = defineSearchAttributeKey('TollgateAction', SearchAttributeType.KEYWORD);
export const TollgateResource = defineSearchAttributeKey('TollgateResource', SearchAttributeType.KEYWORD);
export const TollgateRequester = defineSearchAttributeKey('TollgateRequester', SearchAttributeType.KEYWORD);
export const TollgateRule = defineSearchAttributeKey('TollgateRule', SearchAttributeType.KEYWORD);
export const TollgateApprovalRequestedAt = defineSearchAttributeKey('TollgateApprovalRequestedAt', SearchAttributeType.DATETIME);

export const SEARCH_ATTRIBUTES = [
  TollgateStatus, TollgateAction, TollgateResource, TollgateRequester, TollgateRule, TollgateApprovalRequestedAt,
] as const;

/** `--search-attribute Name=Type` values for `temporal server start-dev`. */
export function devServerSearchAttributeFlags(): string[] {
  return SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=${key.type === SearchAttributeType.DATETIME ? 'Datetime' : 'Keyword'}`]);
}
