export * from './enhanced-lambda-function';
