export * from './alarm-set';
export * from './operations-dashboard';
