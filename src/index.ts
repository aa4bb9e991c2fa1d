export * from './governance';
export * from './monitoring';
