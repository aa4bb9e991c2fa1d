export * from './custom-domain';
