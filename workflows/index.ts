export { governedOperation } from './governedOperation.js';
