import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { EnvironmentConfig, Network, SearchDomain } from '../src';

const app = new App();
const stack = new Stack(app, 'CvIntegSearchDomain');
EnvironmentConfig.dev().applyTo(stack); // integ stacks are torn down after the run; dev allows a smaller domain

// Small and cheap: 2 AZs, isolated subnets only, no interface endpoints; two data nodes, no masters.
const network = new Network(stack, 'Network', { maxAzs: 2, natGateways: 0, interfaceEndpoints: [] });
const search = new SearchDomain(stack, 'Search', {
  vpc: network.vpc,
  availabilityZones: 2,
  dataNodes: 2,
  masterNodes: 0,
  dataNodeInstanceType: 't3.small.search',
  volumeSizeGiB: 10,
});

const integ = new IntegTest(app, 'SearchDomainIntegTest', { testCases: [stack] });

// Encrypted at rest with the customer-managed key and between nodes, HTTPS only with TLS 1.2,
// fine-grained access control with the IAM master role, in the VPC, all four logs published.
integ.assertions.awsApiCall('OpenSearch', 'describeDomain', { DomainName: search.domain.domainName })
  .expect(ExpectedResult.objectLike({
    DomainStatus: Match.objectLike({
      Processing: false,
      EncryptionAtRestOptions: Match.objectLike({ Enabled: true, KmsKeyId: Match.stringLikeRegexp('^arn:aws[a-z-]*:kms:') }),
      NodeToNodeEncryptionOptions: { Enabled: true },
      DomainEndpointOptions: Match.objectLike({ EnforceHTTPS: true, TLSSecurityPolicy: 'Policy-Min-TLS-1-2-2019-07' }),
      AdvancedSecurityOptions: Match.objectLike({ Enabled: true, InternalUserDatabaseEnabled: false }),
      VPCOptions: Match.objectLike({ SecurityGroupIds: [search.securityGroup.securityGroupId] }),
      ClusterConfig: Match.objectLike({ InstanceCount: 2, ZoneAwarenessEnabled: true }),
      LogPublishingOptions: Match.objectLike({
        SEARCH_SLOW_LOGS: Match.objectLike({ Enabled: true }),
        INDEX_SLOW_LOGS: Match.objectLike({ Enabled: true }),
        ES_APPLICATION_LOGS: Match.objectLike({ Enabled: true }),
        AUDIT_LOGS: Match.objectLike({ Enabled: true }),
      }),
    }),
  }))
  .waitForAssertions({ totalTimeout: Duration.minutes(30), interval: Duration.minutes(1) });

// The log groups are encrypted with the customer-managed key.
search.logGroups.forEach((group) => {
  integ.assertions.awsApiCall('CloudWatchLogs', 'describeLogGroups', { logGroupNamePrefix: group.logGroupName })
    .expect(ExpectedResult.objectLike({ logGroups: [Match.objectLike({ kmsKeyId: Match.stringLikeRegexp('^arn:aws[a-z-]*:kms:') })] }));
});

// The domain's alarms exist.
integ.assertions.awsApiCall('CloudWatch', 'describeAlarms', { AlarmNamePrefix: `${stack.stackName}-${search.alarms.alarmSetName}-` })
  .expect(ExpectedResult.objectLike({
    MetricAlarms: Match.arrayWith([
      Match.objectLike({ AlarmName: Match.stringLikeRegexp('ClusterRed$') }),
      Match.objectLike({ AlarmName: Match.stringLikeRegexp('SnapshotFailure$') }),
    ]),
  }));

app.synth();
