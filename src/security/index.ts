export * from './encryption-keys';
export * from './secret-store';
export * from './web-firewall';
export * from './threat-detection';
export * from './audit-trail';
export * from './compliance-rules';
