import { Duration, Stack, StackProps, aws_cloudwatch as cloudwatch, aws_logs as logs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AlarmSet, OperationsDashboard } from '../../../src';

/** Properties of the CloudVault monitoring stack. */
export interface CloudVaultMonitoringStackProps extends StackProps {
  /** The AlarmSets of the other CloudVault stacks, shown on the dashboard. */
  readonly alarmSets: AlarmSet[];
  /** Log groups of the API handlers (Powertools JSON logs with correlation_id, tenant_id, user_id). */
  readonly functionLogGroups: logs.ILogGroup[];
  /** Log group of the API's access logs (JSON, with responseLatency and status). */
  readonly accessLogGroup: logs.ILogGroup;
}

/** Namespace of the handlers' Powertools EMF metrics. */
export const CLOUDVAULT_METRICS_NAMESPACE = 'CloudVault';

// Powertools adds a `service` dimension per handler: SEARCH sums a metric over every service.
function businessMetric(metricName: string, statistic: string, label: string): cloudwatch.IMetric {
  return new cloudwatch.MathExpression({
    expression: `SUM(SEARCH('{${CLOUDVAULT_METRICS_NAMESPACE},service} MetricName="${metricName}"', '${statistic}', 300))`,
    usingMetrics: {},
    label,
    period: Duration.minutes(5),
  });
}

/** One dashboard and the saved Logs Insights queries: deployed last, changed freely. */
export class CloudVaultMonitoringStack extends Stack {
  public readonly dashboard: OperationsDashboard;
  public readonly queries: logs.QueryDefinition[];

  constructor(scope: Construct, id: string, props: CloudVaultMonitoringStackProps) {
    super(scope, id, props);
    this.dashboard = new OperationsDashboard(this, 'Dashboard', { alarmSets: props.alarmSets });
    const board = this.dashboard.dashboard;

    board.addWidgets(
      // Names as the handlers emit them (fileProcessor: UploadsProcessed, StoredBytes = bytes added per verified upload).
      new cloudwatch.GraphWidget({ title: 'Uploads', left: [businessMetric('UploadsProcessed', 'Sum', 'Uploads verified')], width: 6 }),
      new cloudwatch.GraphWidget({ title: 'Stored bytes', left: [businessMetric('StoredBytes', 'Sum', 'Bytes added')], width: 6 }),
      new cloudwatch.GraphWidget({ title: 'Active users', left: [businessMetric('ActiveUsers', 'Sum', 'Active users')], width: 6 }),
      new cloudwatch.GraphWidget({ title: 'Share links', left: [businessMetric('ShareLinksCreated', 'Sum', 'Share links created')], width: 6 }),
    );
    const handlerLogs = props.functionLogGroups;
    this.queries = [
      new logs.QueryDefinition(this, 'Errors', {
        queryDefinitionName: `${this.stackName}/errors`,
        logGroups: handlerLogs,
        queryString: new logs.QueryString({
          fields: ['@timestamp', 'level', 'message', 'error.name', 'error.message', 'correlation_id', 'tenant_id'],
          filterStatements: ['level = "ERROR" or @message like /Task timed out/'],
          sort: '@timestamp desc',
          limit: 100,
        }),
      }),
      new logs.QueryDefinition(this, 'SlowRequests', {
        queryDefinitionName: `${this.stackName}/slow-requests`,
        logGroups: [props.accessLogGroup],
        queryString: new logs.QueryString({
          fields: ['@timestamp', 'httpMethod', 'resourcePath', 'status', 'responseLatency', 'integrationLatency', 'requestId'],
          filterStatements: ['responseLatency > 1000'],
          sort: 'responseLatency desc',
          limit: 100,
        }),
      }),
      new logs.QueryDefinition(this, 'TenantActivity', {
        queryDefinitionName: `${this.stackName}/tenant-activity`,
        logGroups: handlerLogs,
        queryString: new logs.QueryString({
          filterStatements: ['ispresent(tenant_id)'],
          statsStatements: ['count(*) as requests, count_distinct(user_id) as users by tenant_id, bin(1h)'],
          sort: 'requests desc',
        }),
      }),
    ];
  }
}
