import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AlarmSet, EncryptionKeys, WebFirewall } from '../../../src';

/** The app's keys, its one alarm topic and the API's firewall: deployed first, changed rarely. */
export class PatchTrackerSecurityStack extends Stack {
  public readonly keys: EncryptionKeys;
  public readonly alarms: AlarmSet;
  public readonly firewall: WebFirewall;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    this.keys = new EncryptionKeys(this, 'Keys');
    this.alarms = new AlarmSet(this, 'Alarms', { alarmSetName: this.stackName });
    this.firewall = new WebFirewall(this, 'Firewall', { alarms: this.alarms });
  }
}
