export { governTools, ToolCallRefusedError, type GovernToolsOptions } from './governTools.js';
