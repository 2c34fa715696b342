export { governTools, type GovernToolsOptions } from './governTools.js';
export { CallRefusedError, type Refusal } from '../refusal.js';
