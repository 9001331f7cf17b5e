export * from './backend/contract.js';
export * from './backend/registry.js';
export * from './errors.js';
