import { OperationOutcomeError } from '../../client/errors.js';
import type { OperationStatusView } from '../../operation/types.js';
import { passToolGate, type ToolGateOptions } from '../gate.js';
import { CallRefusedError } from '../refusal.js';

/** The part of an OpenAI Agents SDK function tool (`tool({...})` from `@openai/agents`) that governing touches. */
interface InvokableTool {
  type: string;
  name: string;
  invoke: (runContext: never, input: string, details?: never) => Promise<unknown>;
}

/** What the SDK passes as `details` (ToolCallDetails), as far as the gate reads it. */
interface ToolCallDetails {
  toolCall?: { callId?: string };
  signal?: AbortSignal;
}

export interface GovernAgentToolsOptions extends ToolGateOptions {
  /** Told once when a call waits for a person. */
  onAwaitingApproval?: (call: { toolName: string; callId?: string; view: OperationStatusView }) => void | Promise<void>;
}

/**
 * The same function tools, each call behind a Tollgate gate: the call's arguments are the
 * operation's arguments (judged by the detectors, kept in the audit trail), an approval waits
 * durably in Tollgate (Slack, quorum, expiry; the SDK's own needsApproval still applies before
 * it), and a refusal is returned to the model as the tool's output (a CallRefusedError message):
 * the SDK's default error handler would tell the model to "try again", which is the wrong
 * advice for a denial. Other tool kinds (hosted, computer, shell) pass through unchanged.
 */
export function governAgentTools<TOOLS extends readonly InvokableTool[]>(tools: TOOLS, options: GovernAgentToolsOptions): TOOLS {
  return tools.map((tool) => governedTool(tool, options)) as unknown as TOOLS;
}

/** One function tool behind a Tollgate gate (see governAgentTools). */
export function governedTool<TOOL extends InvokableTool>(tool: TOOL, options: GovernAgentToolsOptions): TOOL {
  if (tool.type !== 'function') return tool;
  const invoke = tool.invoke as unknown as (runContext: unknown, input: string, details?: ToolCallDetails) => Promise<unknown>;
  const governedInvoke = async (runContext: unknown, input: string, details?: ToolCallDetails) => {
    const args = parsedArguments(input);
    try {
      await passToolGate(options, tool.name, args, {
        signal: details?.signal,
        onAwaitingApproval: options.onAwaitingApproval && ((view) => options.onAwaitingApproval!({ toolName: tool.name, callId: details?.toolCall?.callId, view })),
      });
    } catch (error) {
      if (error instanceof OperationOutcomeError) return new CallRefusedError(tool.name, error).message;
      throw error;
    }
    return invoke.call(tool, runContext, input, details);
  };
  // Keep every property the SDK put on the tool (some are getters or symbols), replacing only invoke.
  const governed = Object.create(Object.getPrototypeOf(tool), Object.getOwnPropertyDescriptors(tool)) as TOOL;
  Object.defineProperty(governed, 'invoke', { value: governedInvoke, enumerable: true, writable: true, configurable: true });
  return governed;
}

/** The model sends arguments as JSON text; the detectors judge the parsed value. */
function parsedArguments(input: string): unknown {
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}
