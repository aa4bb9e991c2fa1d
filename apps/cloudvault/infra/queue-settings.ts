/**
 * The events stack's WorkQueues as their consumers see them: local mode (local/local-cloudvault.ts)
 * runs its SQS emulator with the same settings, and the backup export worker reads its queue's
 * receive limit (BACKUP_EXPORT_MAX_RECEIVES) to record FAILED on the last one. No CDK imports:
 * local mode loads this file.
 */
export const QUEUE_SETTINGS = {
  /** Notification messages: batches of 10; a message that failed 5 times is dead-lettered. */
  notifications: { batchSize: 10, maxReceiveCount: 5 },
  /** Tenant export jobs: one per invocation (each gets the whole timeout); 3 receives. */
  backupExports: { batchSize: 1, maxReceiveCount: 3 },
} as const;
