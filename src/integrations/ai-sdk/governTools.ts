import { OperationOutcomeError } from '../../client/errors.js';
import type { OperationStatusView } from '../../operation/types.js';
import { passToolGate, type ToolGateOptions } from '../gate.js';
import { CallRefusedError } from '../refusal.js';

/** The part of an AI SDK tool (`tool({...})` from `ai`) that governing touches; typed loosely so any tool fits. */
interface ExecutableTool {
  execute?: (input: never, options: never) => unknown;
}

/** What `ai` passes to execute (ToolExecutionOptions), as far as the gate reads it. */
interface ToolCallOptions { toolCallId: string; abortSignal?: AbortSignal }
type Execute = (input: unknown, options: ToolCallOptions) => unknown;

export interface GovernToolsOptions extends ToolGateOptions {
  /** Told once when a call waits for a person (e.g. to tell the user who must approve). */
  onAwaitingApproval?: (call: { toolName: string; toolCallId: string; view: OperationStatusView }) => void | Promise<void>;
}

/**
 * The same tools, each `execute` behind a Tollgate gate: the tool input is the operation's
 * arguments (judged by the security detectors and recorded in the audit trail), an approval waits
 * durably, and a denial, rejection or expiry becomes a tool error the model can read (a
 * CallRefusedError naming the rule, the policy version and what would change it). Tools
 * without `execute` (client-side tools) pass through unchanged.
 */
export function governTools<TOOLS extends Record<string, ExecutableTool>>(tools: TOOLS, options: GovernToolsOptions): TOOLS {
  const governed: Record<string, ExecutableTool> = {};
  for (const [toolName, tool] of Object.entries(tools)) {
    governed[toolName] = tool.execute ? { ...tool, execute: governedExecute(toolName, tool.execute as Execute, options) } : tool;
  }
  return governed as TOOLS;
}

function governedExecute(toolName: string, execute: Execute, options: GovernToolsOptions): Execute {
  const gate = async (input: unknown, call: ToolCallOptions) => {
    try {
      await passToolGate(options, toolName, input, {
        signal: call.abortSignal,
        onAwaitingApproval: options.onAwaitingApproval && ((view) => options.onAwaitingApproval!({ toolName, toolCallId: call.toolCallId, view })),
      });
    } catch (error) {
      // Thrown, because the AI SDK hands a thrown error to the model as the tool's error output.
      if (error instanceof OperationOutcomeError) throw new CallRefusedError(toolName, error);
      throw error;
    }
  };
  // A streaming tool (an async generator) stays one, so its preliminary results still stream.
  if (execute.constructor.name === 'AsyncGeneratorFunction') {
    return async function* (input: unknown, call: ToolCallOptions) {
      await gate(input, call);
      yield* execute(input, call) as AsyncIterable<unknown>;
    };
  }
  return async (input: unknown, call: ToolCallOptions) => {
    await gate(input, call);
    return execute(input, call);
  };
}
