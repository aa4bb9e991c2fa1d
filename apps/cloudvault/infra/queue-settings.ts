/**
 * The events stack's WorkQueues as their consumers see them: local mode (local/local-cloudvault.ts)
 * runs its SQS emulator with the same settings, and the backup export worker imports its queue's
 * receive limit to record FAILED on the last receive. No CDK imports: local mode and handlers load
 * this file.
 */
export const QUEUE_SETTINGS = {
  /** Notification messages: batches of 10; a message that failed 5 times is dead-lettered. */
  notifications: { batchSize: 10, maxReceiveCount: 5 },
  /** Tenant export jobs: one per invocation (each gets the whole timeout); 3 receives. */
  backupExports: { batchSize: 1, maxReceiveCount: 3 },
} as const;
