export * from './environment-config';
export * from './required-tags';
