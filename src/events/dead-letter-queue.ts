import { Duration, aws_kms as kms, aws_sqs as sqs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { EnvironmentConfig } from '../governance/environment-config';

/** What feeds a dead-letter queue, which decides the cdk-nag findings that apply to it. */
export enum DeadLetterSource {
  /** The redrive policy of another SQS queue (AwsSolutions-SQS3 sees that link). */
  QUEUE = 'queue',
  /** A service target's DeadLetterConfig (EventBridge Scheduler, an EventBridge rule). */
  SERVICE = 'service',
}

/**
 * A dead-letter queue of the events area: KMS-encrypted with `key`, TLS-only, 14 days'
 * retention (the SQS maximum, longer than any source queue's), removed per EnvironmentConfig.
 */
export function createDeadLetterQueue(scope: Construct, id: string, key: kms.IKey, source: DeadLetterSource): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: key,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    // Marks it a dead-letter queue (AWS Control Tower CT.SQS.PR.1). Not byQueue: its sources are services,
    // or a source queue that references it already (naming that queue here would be a cycle).
    redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
    removalPolicy: EnvironmentConfig.of(scope).removalPolicy,
  });
  if (source === DeadLetterSource.QUEUE) {
    acknowledge(queue, ['Serverless-SQSRedrivePolicy'],
      'This queue is the dead-letter queue of the work queue (its redrive target): a redrive policy on it would only move the same failed messages again. Its depth is alarmed on and it is redriven with StartMessageMoveTask.');
  } else {
    acknowledge(queue, ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy'],
      'This queue is the dead-letter queue of an EventBridge Scheduler or EventBridge rule target (DeadLetterConfig), a link cdk-nag does not follow; giving a DLQ a DLQ of its own would only move the same failed events. Its depth is alarmed on.');
  }
  return queue;
}
