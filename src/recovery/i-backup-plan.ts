import { aws_backup as backup, aws_kms as kms } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * A backup plan other constructs select themselves into (`Database` backs up its cluster
 * through it). `BackupPlan` implements it.
 */
export interface IBackupPlan extends IConstruct {
  /** Backs up `resources` (ARNs, tag conditions, constructs) with this plan. */
  addSelection(id: string, resources: backup.BackupResource[]): backup.BackupSelection;
  /** Backs up one resource that is not S3 by its ARN and lets AWS Backup use the key that encrypts it. */
  addEncryptedResource(id: string, resourceArn: string, encryptionKey: kms.IKey): backup.BackupSelection;
}
