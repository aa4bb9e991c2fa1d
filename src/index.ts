export * from './governance';
export * from './monitoring';
export * from './compute';
export * from './storage';
export * from './api';
export * from './network';
export * from './security';
export * from './cost';
