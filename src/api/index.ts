export * from './api-authorization';
export * from './i-secure-rest-api';
export * from './secure-rest-api';
export * from './api-route';
