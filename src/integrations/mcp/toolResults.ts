import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { refusalText, type Refusal } from '../refusal.js';

/** `_meta` keys the gateway adds to results: which operation a result belongs to, and a refusal as data. */
export const OPERATION_META = 'tollgate/operation-id';
export const REFUSAL_META = 'tollgate/refusal';

/** The upstream's own result, tagged with the operation that produced it. */
export function governedToolResult(result: CallToolResult, operationId: string): CallToolResult {
  return { ...result, _meta: { ...result._meta, [OPERATION_META]: operationId } };
}

/**
 * A call Tollgate did not run (yet), as a tool error the agent can act on: a sentence for the
 * model, the refusal as JSON text for clients that only read text, and the refusal as data. The
 * data goes in structuredContent, except for a tool that declares an outputSchema: clients
 * validate structuredContent against that schema even on errors, so there it travels in `_meta`.
 */
export function refusalToolResult(refusal: Refusal, options: { toolHasOutputSchema: boolean }): CallToolResult {
  const data = { tollgate: refusal };
  return {
    isError: true,
    content: [
      { type: 'text', text: refusalText(refusal) },
      { type: 'text', text: JSON.stringify(data) },
    ],
    ...(options.toolHasOutputSchema ? {} : { structuredContent: data }),
    _meta: { [OPERATION_META]: refusal.operationId, [REFUSAL_META]: refusal },
  };
}
