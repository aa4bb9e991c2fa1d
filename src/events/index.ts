export * from './scheduled-job';
export * from './work-queue';
export * from './bucket-event-rule';
