import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Stack, aws_ec2 as ec2 } from 'aws-cdk-lib';
import { EnvironmentConfig, Network } from '../src';

const app = new App();
const stack = new Stack(app, 'CvIntegNetwork');
EnvironmentConfig.dev().applyTo(stack); // integ stacks are torn down after the run; dev = one NAT gateway

// Small and cheap: 2 AZs, one NAT gateway, the default endpoints.
const network = new Network(stack, 'Network', { maxAzs: 2 });
const functionSg = network.securityGroupForFunction('FunctionSecurityGroup');

const integ = new IntegTest(app, 'NetworkIntegTest', { testCases: [stack] });

// The VPC's flow log is active, records all traffic and delivers to CloudWatch Logs.
integ.assertions.awsApiCall('EC2', 'describeFlowLogs', {
  Filter: [{ Name: 'resource-id', Values: [network.vpc.vpcId] }],
}).expect(ExpectedResult.objectLike({
  FlowLogs: [Match.objectLike({ FlowLogStatus: 'ACTIVE', TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs', DeliverLogsStatus: 'SUCCESS' })],
}));

// The flow log group is encrypted with the customer-managed key.
integ.assertions.awsApiCall('CloudWatchLogs', 'describeLogGroups', { logGroupNamePrefix: network.flowLogGroup!.logGroupName })
  .expect(ExpectedResult.objectLike({ logGroups: [Match.objectLike({ kmsKeyId: Match.stringLikeRegexp('^arn:aws[a-z-]*:kms:') })] }));

// Every interface endpoint is available with private DNS; both gateway endpoints are available.
const interfaceServices = ['secretsmanager', 'logs', 'kms', 'sqs', 'sts', 'xray'];
network.interfaceEndpoints.forEach((endpoint, i) => {
  integ.assertions.awsApiCall('EC2', 'describeVpcEndpoints', { VpcEndpointIds: [endpoint.vpcEndpointId] })
    .expect(ExpectedResult.objectLike({
      VpcEndpoints: [Match.objectLike({
        VpcEndpointType: 'Interface',
        ServiceName: Match.stringLikeRegexp(`\\.${interfaceServices[i]}$`),
        PrivateDnsEnabled: true,
        State: Match.stringLikeRegexp('^[Aa]vailable$'),
      })],
    }));
});
const gatewayServices = ['s3', 'dynamodb'];
network.gatewayEndpoints.forEach((endpoint, i) => {
  integ.assertions.awsApiCall('EC2', 'describeVpcEndpoints', { VpcEndpointIds: [endpoint.vpcEndpointId] })
    .expect(ExpectedResult.objectLike({
      VpcEndpoints: [Match.objectLike({
        VpcEndpointType: 'Gateway',
        ServiceName: Match.stringLikeRegexp(`\\.${gatewayServices[i]}$`),
        State: Match.stringLikeRegexp('^[Aa]vailable$'),
      })],
    }));
});

// The default security group has no rule left, inbound or outbound.
integ.assertions.awsApiCall('EC2', 'describeSecurityGroups', { GroupIds: [(network.vpc as ec2.Vpc).vpcDefaultSecurityGroup] })
  .expect(ExpectedResult.objectLike({ SecurityGroups: [Match.objectLike({ IpPermissions: [], IpPermissionsEgress: [] })] }));

// The function security group's HTTPS egress reaches the S3 and DynamoDB prefix lists (ids
// resolved at deploy time by the lookup) and the interface endpoints' group, nothing wider.
integ.assertions.awsApiCall('EC2', 'describeSecurityGroups', { GroupIds: [functionSg.securityGroupId] })
  .expect(ExpectedResult.objectLike({
    SecurityGroups: [Match.objectLike({
      IpPermissionsEgress: [Match.objectLike({
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        IpRanges: [],
        PrefixListIds: [
          Match.objectLike({ PrefixListId: Match.stringLikeRegexp('^pl-') }),
          Match.objectLike({ PrefixListId: Match.stringLikeRegexp('^pl-') }),
        ],
        UserIdGroupPairs: [Match.objectLike({ GroupId: network.endpointSecurityGroup!.securityGroupId })],
      })],
    })],
  }));

app.synth();
