export * from './search-domain';
