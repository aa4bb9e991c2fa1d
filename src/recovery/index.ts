export * from './i-backup-plan';
export * from './backup-plan';
export * from './failover-route';
export * from './replicated-bucket';
