export * from './i-handler-function';
export * from './handler-function';
export * from './enhanced-lambda-function';
