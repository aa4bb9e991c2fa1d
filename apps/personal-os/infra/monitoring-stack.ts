import { Duration, Stack, StackProps, aws_cloudwatch as cloudwatch } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AlarmSet, OperationsDashboard } from '../../../src';

/** Namespace of the handlers' Powertools metrics. */
export const PERSONAL_OS_METRICS_NAMESPACE = 'PersonalOS';

/** Properties of the Personal OS monitoring stack. */
export interface PersonalOsMonitoringStackProps extends StackProps {
  /** The AlarmSets of the other stacks, shown on the dashboard. */
  readonly alarmSets: AlarmSet[];
}

// Powertools adds a `service` dimension per handler: SEARCH sums a metric over every service.
function businessMetric(metricName: string, label: string): cloudwatch.IMetric {
  return new cloudwatch.MathExpression({
    expression: `SUM(SEARCH('{${PERSONAL_OS_METRICS_NAMESPACE},service} MetricName="${metricName}"', 'Sum', 300))`,
    usingMetrics: {},
    label,
    period: Duration.minutes(5),
  });
}

/** The operations dashboard (every alarm plus the app's own numbers): deployed last, changed freely. */
export class PersonalOsMonitoringStack extends Stack {
  public readonly dashboard: OperationsDashboard;

  constructor(scope: Construct, id: string, props: PersonalOsMonitoringStackProps) {
    super(scope, id, props);
    this.dashboard = new OperationsDashboard(this, 'Dashboard', { alarmSets: props.alarmSets });
    // Names as the handlers emit them (handlers/*.lambda.ts).
    this.dashboard.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Tasks completed', left: [businessMetric('TasksCompleted', 'Tasks completed')], width: 8 }),
      new cloudwatch.GraphWidget({ title: 'Points awarded', left: [businessMetric('PointsAwarded', 'Points')], width: 8 }),
      new cloudwatch.GraphWidget({ title: 'Habit and metric logs', left: [businessMetric('HabitLogged', 'Habits'), businessMetric('MetricLogged', 'Metrics')], width: 8 }),
    );
  }
}
