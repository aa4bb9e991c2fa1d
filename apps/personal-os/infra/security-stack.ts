import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AlarmSet, EncryptionKeys, KeyPurpose, WebFirewall } from '../../../src';

/** The app's keys, its one alarm topic and the firewall in front of the API: deployed first, changed rarely. */
export class PersonalOsSecurityStack extends Stack {
  public readonly keys: EncryptionKeys;
  public readonly alarms: AlarmSet;
  public readonly firewall: WebFirewall;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    this.keys = new EncryptionKeys(this, 'Keys', { purposes: [KeyPurpose.DATA, KeyPurpose.BACKUP] });
    this.alarms = new AlarmSet(this, 'Alarms', { alarmSetName: this.stackName });
    this.firewall = new WebFirewall(this, 'Firewall', { alarms: this.alarms });
  }
}
