export { governedNode, type GovernedNodeOptions, type GovernedNodeBody, type TollgateGraphConfig, type GraphRunConfig } from './governedNode.js';
export { CallRefusedError, type Refusal } from '../refusal.js';
