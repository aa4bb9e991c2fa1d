export * from './environment-config';
export * from './required-tags';
export * from './strict-validation-plugin';
