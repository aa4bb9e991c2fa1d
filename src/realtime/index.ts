export * from './web-socket-api';
