import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Stack, aws_route53 as route53 } from 'aws-cdk-lib';
import { EnvironmentConfig, FailoverRoute } from '../src';

const app = new App();
// us-east-1: Route 53 publishes HealthCheckStatus only there, and the alarms read it.
const env = { region: 'us-east-1' };
const stack = new Stack(app, 'CvIntegFailoverRoute', { env });
EnvironmentConfig.dev().applyTo(stack); // integ stacks are torn down after the run

// A zone of the test's own (not delegated: the assertions read Route 53, not public DNS). The
// endpoints are placeholders, so the health checks report unhealthy; what is asserted is the
// configuration a deployment must show.
const ZONE = 'cloudvault-integ-failover.com';
const zone = new route53.PublicHostedZone(stack, 'Zone', { zoneName: ZONE });
const primary = { region: 'eu-west-1', domainName: `api-eu-west-1.${ZONE}` };
const secondary = { region: 'eu-central-1', domainName: `api-eu-central-1.${ZONE}` };
const route = new FailoverRoute(stack, 'Api', { hostedZone: zone, recordName: 'api', primary, secondary, failureThreshold: 2 });

const integ = new IntegTest(app, 'FailoverRouteIntegTest', {
  testCases: [stack],
  assertionStack: new Stack(app, 'CvIntegFailoverRouteAssertions', { env }),
});

// Each endpoint has an HTTPS health check on /api/health, every 30 s, unhealthy after 2 failures.
for (const [check, endpoint] of [[route.healthCheck, primary], [route.secondaryHealthCheck!, secondary]] as const) {
  integ.assertions.awsApiCall('Route53', 'getHealthCheck', { HealthCheckId: check.healthCheckId })
    .expect(ExpectedResult.objectLike({
      HealthCheck: Match.objectLike({
        HealthCheckConfig: Match.objectLike({
          Type: 'HTTPS',
          FullyQualifiedDomainName: endpoint.domainName,
          Port: 443,
          ResourcePath: '/api/health',
          RequestInterval: 30,
          FailureThreshold: 2,
          EnableSNI: true,
        }),
      }),
    }));
}

// PRIMARY and SECONDARY CNAMEs of api.<zone>, each tied to its health check, TTL 60 s.
integ.assertions.awsApiCall('Route53', 'listResourceRecordSets', {
  HostedZoneId: zone.hostedZoneId, StartRecordName: `api.${ZONE}`, StartRecordType: 'CNAME', MaxItems: '2',
}).expect(ExpectedResult.objectLike({
  ResourceRecordSets: [
    Match.objectLike({
      Name: `api.${ZONE}.`,
      Type: 'CNAME',
      TTL: 60,
      Failover: 'PRIMARY',
      SetIdentifier: 'primary-eu-west-1',
      HealthCheckId: route.healthCheck.healthCheckId,
      ResourceRecords: [{ Value: primary.domainName }],
    }),
    Match.objectLike({
      Name: `api.${ZONE}.`,
      Type: 'CNAME',
      TTL: 60,
      Failover: 'SECONDARY',
      SetIdentifier: 'secondary-eu-central-1',
      HealthCheckId: route.secondaryHealthCheck!.healthCheckId,
      ResourceRecords: [{ Value: secondary.domainName }],
    }),
  ],
}));

// The health check alarms exist in us-east-1 and watch HealthCheckStatus.
integ.assertions.awsApiCall('CloudWatch', 'describeAlarms', { AlarmNamePrefix: `${stack.stackName}-${route.alarms!.alarmSetName}-` })
  .expect(ExpectedResult.objectLike({
    MetricAlarms: [
      Match.objectLike({ Namespace: 'AWS/Route53', MetricName: 'HealthCheckStatus', ComparisonOperator: 'LessThanThreshold', Threshold: 1 }),
      Match.objectLike({ Namespace: 'AWS/Route53', MetricName: 'HealthCheckStatus', ComparisonOperator: 'LessThanThreshold', Threshold: 1 }),
    ],
  }));

app.synth();
