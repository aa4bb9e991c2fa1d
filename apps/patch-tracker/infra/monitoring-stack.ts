import { Duration, Stack, StackProps, aws_cloudwatch as cloudwatch } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from './app-settings';
import { AlarmSet, OperationsDashboard } from '../../../src';

export interface PatchTrackerMonitoringStackProps extends StackProps {
  /** The AlarmSets of the other stacks, shown on the dashboard. */
  readonly alarmSets: AlarmSet[];
}

// The fetchers publish per run (Powertools EMF, dimensions service and mode): SEARCH sums over them.
function fetchMetric(metricName: string, statistic: string, label: string): cloudwatch.IMetric {
  return new cloudwatch.MathExpression({
    expression: `SUM(SEARCH('{${METRICS_NAMESPACE},service,mode} MetricName="${metricName}"', '${statistic}', 3600))`,
    usingMetrics: {},
    label,
    period: Duration.hours(1),
  });
}

/** The operations dashboard with the fetch metrics: deployed last, changed freely. */
export class PatchTrackerMonitoringStack extends Stack {
  public readonly dashboard: OperationsDashboard;

  constructor(scope: Construct, id: string, props: PatchTrackerMonitoringStackProps) {
    super(scope, id, props);
    this.dashboard = new OperationsDashboard(this, 'Dashboard', { alarmSets: props.alarmSets });
    this.dashboard.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Fetch runs',
        left: [fetchMetric('FetchSucceeded', 'Sum', 'Succeeded'), fetchMetric('FetchFailed', 'Sum', 'Failed'), fetchMetric('CircuitOpen', 'Sum', 'Circuit open')],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Items written',
        left: [fetchMetric('PatchesWritten', 'Sum', 'Patches'), fetchMetric('DiscussionsWritten', 'Sum', 'Discussion messages')],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Pages, threads and run time',
        left: [fetchMetric('PagesFetched', 'Sum', 'Patchwork pages'), fetchMetric('ThreadsFetched', 'Sum', 'lore threads')],
        right: [fetchMetric('FetchDuration', 'Maximum', 'Longest run (ms)')],
        width: 8,
      }),
    );
  }
}
