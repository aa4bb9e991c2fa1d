import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Cache, EnvironmentConfig, Network } from '../src';

const app = new App();
const stack = new Stack(app, 'CvIntegCache');
EnvironmentConfig.dev().applyTo(stack); // integ stacks are torn down after the run

// Small and cheap: 2 AZs, isolated subnets only, no interface endpoints; serverless Valkey.
const network = new Network(stack, 'Network', { maxAzs: 2, natGateways: 0, interfaceEndpoints: [] });
const client = network.securityGroupForFunction('Client');
const cache = new Cache(stack, 'Sessions', { vpc: network.vpc, allowFrom: [client] });

const integ = new IntegTest(app, 'CacheIntegTest', { testCases: [stack] });

// Serverless Valkey, available, encrypted with the customer-managed key, snapshots kept 15 days,
// behind the IAM-auth user group.
integ.assertions.awsApiCall('ElastiCache', 'describeServerlessCaches', { ServerlessCacheName: cache.cacheName })
  .expect(ExpectedResult.objectLike({
    ServerlessCaches: [Match.objectLike({
      Status: 'available',
      Engine: 'valkey',
      KmsKeyId: Match.stringLikeRegexp('^arn:aws[a-z-]*:kms:'),
      SnapshotRetentionLimit: 15,
      UserGroupId: cache.cacheName,
    })],
  }))
  .waitForAssertions({ totalTimeout: Duration.minutes(10) });

// The application user authenticates by IAM only; the default user is switched off.
integ.assertions.awsApiCall('ElastiCache', 'describeUsers', { UserId: cache.user.ref })
  .expect(ExpectedResult.objectLike({
    Users: [Match.objectLike({ Status: 'active', Engine: 'valkey', Authentication: Match.objectLike({ Type: 'iam' }) })],
  }));
integ.assertions.awsApiCall('ElastiCache', 'describeUsers', { UserId: cache.defaultUser.ref })
  .expect(ExpectedResult.objectLike({ Users: [Match.objectLike({ UserName: 'default', AccessString: Match.stringLikeRegexp('^off ') })] }));

// The security group lets in only the client's group, on the Valkey ports.
integ.assertions.awsApiCall('EC2', 'describeSecurityGroups', { GroupIds: [cache.securityGroup.securityGroupId] })
  .expect(ExpectedResult.objectLike({
    SecurityGroups: [Match.objectLike({
      IpPermissions: [Match.objectLike({
        FromPort: 6379,
        ToPort: 6380,
        IpRanges: [],
        UserIdGroupPairs: [Match.objectLike({ GroupId: client.securityGroupId })],
      })],
    })],
  }));

// The cache's alarms exist.
integ.assertions.awsApiCall('CloudWatch', 'describeAlarms', { AlarmNamePrefix: `${stack.stackName}-${cache.alarms.alarmSetName}-` })
  .expect(ExpectedResult.objectLike({
    MetricAlarms: [
      Match.objectLike({ AlarmName: Match.stringLikeRegexp('Connections$') }),
      Match.objectLike({ AlarmName: Match.stringLikeRegexp('ThrottledCommands$') }),
    ],
  }));

app.synth();
