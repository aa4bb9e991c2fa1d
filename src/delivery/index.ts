export * from './delivery-pipeline';
export * from './safe-deployment';
