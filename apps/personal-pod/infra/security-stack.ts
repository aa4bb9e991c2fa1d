import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AlarmSet, WebFirewall } from '../../../src';

/** The alarm topic every stack's AlarmSet notifies, and the web firewall in front of the REST API. */
export class PersonalPodSecurityStack extends Stack {
  public readonly alarms: AlarmSet;
  public readonly firewall: WebFirewall;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    this.alarms = new AlarmSet(this, 'Alarms', { alarmSetName: this.stackName });
    // Diary entries are text: 64 KiB of JSON is plenty.
    this.firewall = new WebFirewall(this, 'Firewall', { alarms: this.alarms, maxBodySizeBytes: 65_536 });
  }
}
