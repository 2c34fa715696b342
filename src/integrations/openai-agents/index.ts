export { governAgentTools, governedTool, type GovernAgentToolsOptions } from './governAgentTools.js';
export { CallRefusedError, type Refusal } from '../refusal.js';
