import { Stack, StackProps, aws_sns as sns } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AlarmSet, BackupPlan, EncryptionKeys, SecureTable } from '../../../src';

/** Properties of the Personal OS recovery stack. */
export interface PersonalOsRecoveryStackProps extends StackProps {
  readonly keys: EncryptionKeys;
  readonly alarmTopic: sns.ITopic;
  readonly table: SecureTable;
}

/** AWS Backup of the table (daily, weekly, monthly), in its own encrypted vault. */
export class PersonalOsRecoveryStack extends Stack {
  public readonly backupPlan: BackupPlan;
  public readonly alarms: AlarmSet;

  constructor(scope: Construct, id: string, props: PersonalOsRecoveryStackProps) {
    super(scope, id, props);
    this.alarms = new AlarmSet(this, 'Alarms', { alarmSetName: this.stackName, topic: props.alarmTopic });
    this.backupPlan = new BackupPlan(this, 'Backup', { encryptionKey: props.keys.backup, alarms: this.alarms });
    this.backupPlan.addTable(props.table);
  }
}
