export * from './secure-rest-api';
export * from './api-route';
