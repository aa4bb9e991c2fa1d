export * from './secure-bucket';
export * from './secure-table';
