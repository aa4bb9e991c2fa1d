import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AlarmSet, OperationsDashboard } from '../../../src';

/** Properties of the monitoring stack. */
export interface PersonalPodMonitoringStackProps extends StackProps {
  /** The AlarmSets of the other stacks, shown on the dashboard. */
  readonly alarmSets: AlarmSet[];
}

/** One operations dashboard over every alarm of the stage: deployed last, changed freely. */
export class PersonalPodMonitoringStack extends Stack {
  public readonly dashboard: OperationsDashboard;

  constructor(scope: Construct, id: string, props: PersonalPodMonitoringStackProps) {
    super(scope, id, props);
    this.dashboard = new OperationsDashboard(this, 'Dashboard', { alarmSets: props.alarmSets });
  }
}
