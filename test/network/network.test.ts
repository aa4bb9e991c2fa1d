import { App, RemovalPolicy, Stack, aws_ec2 as ec2, aws_kms as kms, aws_lambda as lambda, aws_logs as logs } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EnhancedLambdaFunction, EnvironmentConfig } from '../../src';
import { GatewayEndpointService, InterfaceEndpointService, Network, NetworkProps } from '../../src/network';
import { expectNagClean, testApp, testStack } from '../support/nag-harness';
import { testKey } from '../support/test-key';

const code = lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 })');

/** Subnets of the template grouped by CDK's subnet-type tag (Public / Private / Isolated). */
function subnetsByType(template: Template): Record<string, Array<{ az: string; cidr: string }>> {
  const byType: Record<string, Array<{ az: string; cidr: string }>> = {};
  for (const subnet of Object.values<any>(template.findResources('AWS::EC2::Subnet'))) {
    const type = subnet.Properties.Tags.find((t: any) => t.Key === 'aws-cdk:subnet-type').Value;
    (byType[type] ??= []).push({ az: subnet.Properties.AvailabilityZone, cidr: subnet.Properties.CidrBlock });
  }
  return byType;
}

/** The service part of an endpoint's service name ("com.amazonaws.<region>.sqs" -> "sqs"). */
function serviceOf(endpoint: any): string {
  return /\.([a-z]+)"(\]\]\})?$/.exec(JSON.stringify(endpoint.Properties.ServiceName))![1];
}

function logicalId(construct: { node: { defaultChild?: unknown } }): string {
  const child = construct.node.defaultChild as any;
  return Stack.of(child).getLogicalId(child);
}

/** Every egress rule of a security group, inline or separate, reduced to port and destination. */
function egressRules(template: Template, sg: ec2.SecurityGroup): Array<{ port: number; to: unknown; description?: string }> {
  const id = logicalId(sg);
  const resources = template.toJSON().Resources;
  const inline = resources[id].Properties.SecurityGroupEgress ?? [];
  const separate = Object.values<any>(resources)
    .filter((r) => r.Type === 'AWS::EC2::SecurityGroupEgress' && JSON.stringify(r.Properties.GroupId).includes(`"${id}"`))
    .map((r) => r.Properties);
  return [...inline, ...separate].map((r: any) => ({
    port: r.FromPort,
    to: r.CidrIp ?? r.DestinationSecurityGroupId ?? r.DestinationPrefixListId,
    description: r.Description,
  }));
}

describe('Network with default props (prod profile)', () => {
  let stack: Stack;
  let network: Network;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    network = new Network(stack, 'Net');
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('spans 3 AZs with a public, a private-with-egress and an isolated subnet in each', () => {
    template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16' });
    const subnets = subnetsByType(template);
    expect(Object.keys(subnets).sort()).toEqual(['Isolated', 'Private', 'Public']);
    for (const type of ['Public', 'Private', 'Isolated']) {
      expect(subnets[type].map((s) => s.az).sort()).toEqual(['dummy1a', 'dummy1b', 'dummy1c']);
    }
    expect(subnets.Private.map((s) => s.cidr)).toEqual(['10.0.0.0/20', '10.0.16.0/20', '10.0.32.0/20']);
    expect(subnets.Public.map((s) => s.cidr)).toEqual(['10.0.48.0/24', '10.0.49.0/24', '10.0.50.0/24']);
    expect(subnets.Isolated.map((s) => s.cidr)).toEqual(['10.0.51.0/24', '10.0.52.0/24', '10.0.53.0/24']);
  });

  test('public subnets give nothing a public IP on launch', () => {
    const subnets = Object.values<any>(template.findResources('AWS::EC2::Subnet'));
    expect(subnets.map((s) => s.Properties.MapPublicIpOnLaunch)).toEqual(Array(9).fill(false));
  });

  test('has one NAT gateway per AZ in prod', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 3);
    expect(network.natGatewayCount).toBe(3);
  });

  test('has S3 and DynamoDB gateway endpoints routed from the private and isolated subnets', () => {
    const gateways = Object.values<any>(template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Gateway' } }));
    expect(gateways.map((g) => JSON.stringify(g.Properties.ServiceName))).toEqual([
      expect.stringContaining('.s3"'), expect.stringContaining('.dynamodb"'),
    ]);
    for (const gateway of gateways) {
      expect(gateway.Properties.RouteTableIds).toHaveLength(6);
      expect(JSON.stringify(gateway.Properties.RouteTableIds)).not.toContain('PublicSubnet');
    }
    expect(network.gatewayEndpoints).toHaveLength(2);
  });

  test('has interface endpoints with private DNS for Secrets Manager, Logs, KMS, SQS, STS and X-Ray in the isolated subnets', () => {
    const endpoints = Object.values<any>(template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }));
    expect(endpoints.map((e) => serviceOf(e))).toEqual(
      ['secretsmanager', 'logs', 'kms', 'sqs', 'sts', 'xray']);
    const endpointSg = logicalId(network.endpointSecurityGroup!);
    for (const endpoint of endpoints) {
      expect(endpoint.Properties.PrivateDnsEnabled).toBe(true);
      expect(endpoint.Properties.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [endpointSg, 'GroupId'] }]);
      expect(JSON.stringify(endpoint.Properties.SubnetIds).match(/IsolatedSubnet\dSubnet/g)).toHaveLength(3);
    }
  });

  test('the endpoint security group lets in HTTPS from the VPC range only and sends nothing out', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Interface endpoints of Test/Net: HTTPS in from the VPC',
      SecurityGroupIngress: [{ CidrIp: '10.0.0.0/16', FromPort: 443, ToPort: 443, IpProtocol: 'tcp', Description: 'HTTPS from inside the VPC' }],
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' })],
    });
  });

  test('logs all traffic to a KMS-encrypted log group with prod retention, retained', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      ResourceId: { Ref: logicalId(network.vpc as ec2.Vpc) },
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
      LogGroupName: { Ref: logicalId(network.flowLogGroup!) },
      DeliverLogsPermissionArn: Match.anyValue(),
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CloudVaultDefaultKey'), 'Arn'] }, RetentionInDays: 365 },
      DeletionPolicy: 'Retain',
    });
  });

  test('the flow log role has no AWS managed or inline policy and is assumable only by this account\'s flow logs', () => {
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({
          Principal: { Service: 'vpc-flow-logs.amazonaws.com' },
          Condition: {
            StringEquals: { 'aws:SourceAccount': '123456789012' },
            ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:eu-west-1:123456789012:vpc-flow-log/*']] } },
          },
        })],
      },
      ManagedPolicyArns: Match.absent(),
      Policies: Match.absent(),
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [{
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          Resource: { 'Fn::GetAtt': [logicalId(network.flowLogGroup!), 'Arn'] },
        }],
      },
    });
  });

  test('strips every rule from the default security group', () => {
    template.hasResourceProperties('Custom::VpcRestrictDefaultSG', {
      DefaultSecurityGroupId: { 'Fn::GetAtt': [logicalId(network.vpc as ec2.Vpc), 'DefaultSecurityGroup'] },
    });
  });

  test('creates no prefix-list lookup until a function security group is asked for', () => {
    template.resourceCountIs('Custom::AwsManagedPrefixLists', 0);
  });
});

describe('Network with a rich configuration (dev profile) and function security groups', () => {
  let stack: Stack;
  let network: Network;
  let key: kms.Key;
  let database: ec2.SecurityGroup;
  let functionSg: ec2.SecurityGroup;
  let worker: EnhancedLambdaFunction;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    EnvironmentConfig.dev().applyTo(stack);
    key = testKey(stack, 'NetworkKey', { enableKeyRotation: true, removalPolicy: RemovalPolicy.DESTROY });
    network = new Network(stack, 'Net', {
      cidr: '172.16.0.0/20',
      maxAzs: 2,
      publicSubnetCidrMask: 26,
      privateSubnetCidrMask: 23,
      isolatedSubnetCidrMask: 26,
      connectedCidrs: ['10.0.0.0/16', '192.168.0.0/24'],
      interfaceEndpoints: [InterfaceEndpointService.SECRETS_MANAGER, InterfaceEndpointService.LOGS, InterfaceEndpointService.SQS],
      gatewayEndpoints: [GatewayEndpointService.S3, GatewayEndpointService.DYNAMODB],
      logRetention: logs.RetentionDays.THIRTEEN_MONTHS,
      encryptionKey: key,
    });
    database = new ec2.SecurityGroup(stack, 'Database', { vpc: network.vpc, description: 'Database', allowAllOutbound: false });
    functionSg = network.securityGroupForFunction('ApiFunctionSg', {
      allowTcpPortsTo: [
        { peer: database, port: 5432 },
        { peer: ec2.Peer.ipv4('10.0.0.0/16'), port: 8443, description: 'Partner API on premises' },
      ],
    });
    network.securityGroupForFunction('WorkerSg');
    worker = new EnhancedLambdaFunction(stack, 'Worker', { code, vpc: network.vpc });
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('spans 2 AZs with the given subnet sizes packed into the given range', () => {
    template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '172.16.0.0/20' });
    const subnets = subnetsByType(template);
    expect(subnets.Private.map((s) => s.cidr)).toEqual(['172.16.0.0/23', '172.16.2.0/23']);
    expect(subnets.Public.map((s) => s.cidr)).toEqual(['172.16.4.0/26', '172.16.4.64/26']);
    expect(subnets.Isolated.map((s) => s.cidr)).toEqual(['172.16.4.128/26', '172.16.4.192/26']);
  });

  test('has one NAT gateway in dev', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    expect(network.natGatewayCount).toBe(1);
  });

  test('creates only the selected interface endpoints', () => {
    const endpoints = Object.values<any>(template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }));
    expect(endpoints.map((e) => serviceOf(e))).toEqual(['secretsmanager', 'logs', 'sqs']);
    expect(network.interfaceEndpoints).toHaveLength(3);
  });

  test('the flow log group uses the given key and retention and is destroyed with a dev stack', () => {
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { KmsKeyId: { 'Fn::GetAtt': [logicalId(key), 'Arn'] }, RetentionInDays: 400 },
      DeletionPolicy: 'Delete',
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'AllowCloudWatchLogsForThisAccount' })]) },
    });
  });

  test('a function security group sends HTTPS only to the endpoints and the gateway prefix lists, plus the named ports', () => {
    const lookup = template.findResources('Custom::AwsManagedPrefixLists');
    const lookupId = Object.keys(lookup)[0];
    const rules = egressRules(template, functionSg);
    expect(rules).toHaveLength(5);
    expect(rules).toEqual(expect.arrayContaining([
      { port: 443, to: { 'Fn::GetAtt': [logicalId(network.endpointSecurityGroup!), 'GroupId'] }, description: 'HTTPS to the interface endpoints' },
      { port: 443, to: { 'Fn::GetAtt': [lookupId, 'S3'] }, description: 'HTTPS to S3 through its gateway endpoint' },
      { port: 443, to: { 'Fn::GetAtt': [lookupId, 'DynamoDb'] }, description: 'HTTPS to DynamoDb through its gateway endpoint' },
      { port: 5432, to: { 'Fn::GetAtt': [logicalId(database), 'GroupId'] }, description: expect.stringContaining('TCP 5432') },
      { port: 8443, to: '10.0.0.0/16', description: 'Partner API on premises' },
    ]));
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Least-privilege security group Test/Net/ApiFunctionSg',
      SecurityGroupIngress: Match.absent(),
    });
  });

  test('the endpoint security group lets the function security group in on 443', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [logicalId(network.endpointSecurityGroup!), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [logicalId(functionSg), 'GroupId'] },
      FromPort: 443,
      ToPort: 443,
    });
  });

  test('looks the prefix lists up once, with a least-privilege Node.js 24 function', () => {
    template.resourceCountIs('Custom::AwsManagedPrefixLists', 1);
    const [lookup] = Object.values<any>(template.findResources('Custom::AwsManagedPrefixLists'));
    expect(JSON.stringify(lookup.Properties.PrefixLists.S3)).toContain('.s3"');
    expect(JSON.stringify(lookup.Properties.PrefixLists.DynamoDb)).toContain('.dynamodb"');
    expect(lookup.Properties.ServiceTimeout).toBe('300');
    expect(lookup.DependsOn).toEqual([expect.stringMatching(/^NetPrefixListLookupRolePolicy/)]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Reads the AWS-managed prefix-list ids for Test/Net at deploy time',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: Match.objectLike({ LogGroup: Match.anyValue() }),
    });
    const [policy] = Object.values<any>(template.findResources('AWS::IAM::ManagedPolicy', {
      Properties: { Description: Match.stringLikeRegexp('PrefixListLookup/Role') },
    }));
    const actions = policy.Properties.PolicyDocument.Statement.flatMap((s: any) => [].concat(s.Action));
    expect(actions.sort()).toEqual(['ec2:DescribeManagedPrefixLists', 'logs:CreateLogStream', 'logs:PutLogEvents',
      'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });

  test('a security group with no named ports has only the endpoint and prefix-list egress', () => {
    const workerSg = network.node.findChild('WorkerSg') as ec2.SecurityGroup;
    expect(egressRules(template, workerSg).map((r) => r.port)).toEqual([443, 443, 443]);
  });

  test('an EnhancedLambdaFunction given network.vpc lands in its private subnets', () => {
    const subnetIds = template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.absent(), VpcConfig: Match.anyValue() } });
    const config = Object.values<any>(subnetIds)[0].Properties.VpcConfig;
    expect(JSON.stringify(config.SubnetIds).match(/NetVpcPrivateSubnet\dSubnet/g)).toHaveLength(2);
    expect(worker.securityGroup).toBeDefined();
  });
});

describe('isolated-only Network (natGateways 0 in the profile)', () => {
  let stack: Stack;
  let network: Network;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    EnvironmentConfig.dev({ natGateways: 0 }).applyTo(stack);
    network = new Network(stack, 'Net', { maxAzs: 2 });
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('has isolated subnets only, no NAT gateway and no internet gateway', () => {
    expect(Object.keys(subnetsByType(template))).toEqual(['Isolated']);
    expect(subnetsByType(template).Isolated).toHaveLength(2);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::EIP', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::Route', 0);
    expect(network.natGatewayCount).toBe(0);
  });

  test('still has the endpoints, the flow log and the default-SG restriction', () => {
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 8);
    template.resourceCountIs('AWS::EC2::FlowLog', 1);
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
  });

  test('isolatedOnly: true overrides a profile with NAT gateways', () => {
    const other = new Network(testStack(testApp()), 'Net', { isolatedOnly: true });
    expect(other.natGatewayCount).toBe(0);
    expect(other.vpc.publicSubnets).toHaveLength(0);
    expect(other.vpc.privateSubnets).toHaveLength(0);
    expect(other.vpc.isolatedSubnets).toHaveLength(3);
  });
});

describe('Network in an existing VPC', () => {
  let stack: Stack;
  let network: Network;
  let functionSg: ec2.SecurityGroup;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Existing', {
      vpcId: 'vpc-0123456789abcdef0',
      vpcCidrBlock: '10.20.0.0/16',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      privateSubnetIds: ['subnet-aaaaaaaa', 'subnet-bbbbbbbb'],
      privateSubnetRouteTableIds: ['rtb-aaaaaaaa', 'rtb-bbbbbbbb'],
    });
    network = new Network(stack, 'Net', { vpc, connectedCidrs: ['10.0.0.0/16'] });
    functionSg = network.securityGroupForFunction('FunctionSg');
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('creates no VPC, NAT gateway or default-SG restriction', () => {
    template.resourceCountIs('AWS::EC2::VPC', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 0);
    expect(network.natGatewayCount).toBe(0);
  });

  test('adds the endpoints to the existing subnets and route tables', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway', VpcId: 'vpc-0123456789abcdef0', RouteTableIds: ['rtb-aaaaaaaa', 'rtb-bbbbbbbb'],
    });
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface', PrivateDnsEnabled: true, SubnetIds: ['subnet-aaaaaaaa', 'subnet-bbbbbbbb'],
    });
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 8);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Interface endpoints of Test/Net: HTTPS in from the VPC',
      SecurityGroupIngress: [Match.objectLike({ CidrIp: '10.20.0.0/16', FromPort: 443 })],
    });
  });

  test('adds a flow log of all traffic to the existing VPC', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceId: 'vpc-0123456789abcdef0', ResourceType: 'VPC', TrafficType: 'ALL' });
  });

  test('hands out function security groups there too', () => {
    expect(egressRules(template, functionSg).map((r) => r.port)).toEqual([443, 443, 443]);
  });

  test('without a known range, only the function security groups reach the endpoints; flow logs can be turned off', () => {
    const other = testStack(testApp());
    const vpc = ec2.Vpc.fromVpcAttributes(other, 'Existing', {
      vpcId: 'vpc-0fedcba9876543210', availabilityZones: ['eu-west-1a'], isolatedSubnetIds: ['subnet-cccccccc'],
    });
    const net = new Network(other, 'Net', { vpc, flowLogsEnabled: false, gatewayEndpoints: [] });
    const sg = net.securityGroupForFunction('FunctionSg');
    const t = Template.fromStack(other);
    t.resourceCountIs('AWS::EC2::FlowLog', 0);
    t.resourceCountIs('Custom::AwsManagedPrefixLists', 0);
    t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Interface endpoints of Test/Net: HTTPS in from the VPC', SecurityGroupIngress: Match.absent(),
    });
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { SourceSecurityGroupId: { 'Fn::GetAtt': [logicalId(sg), 'GroupId'] }, FromPort: 443 });
    expect(egressRules(t, sg).map((r) => r.port)).toEqual([443]);
  });
});

describe('Network in an environment-agnostic stack', () => {
  test('spans the two AZs CDK can address and works with a Lambda function given a helper security group', () => {
    const stack = new Stack(testApp(), 'Agnostic');
    const network = new Network(stack, 'Net');
    const sg = network.securityGroupForFunction('FunctionSg');
    new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code, vpc: network.vpc, securityGroups: [sg],
    });
    const template = Template.fromStack(stack);
    expect(Object.values(subnetsByType(template)).map((s) => s.length)).toEqual([2, 2, 2]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: {
        SecurityGroupIds: [{ 'Fn::GetAtt': [logicalId(sg), 'GroupId'] }],
        SubnetIds: [{ Ref: Match.stringLikeRegexp('^NetVpcPrivateSubnet1') }, { Ref: Match.stringLikeRegexp('^NetVpcPrivateSubnet2') }],
      },
    });
  });
});

describe('Network validation', () => {
  function make(props: NetworkProps, stack: Stack = testStack(testApp())): Network {
    return new Network(stack, 'Net', props);
  }
  const existing = (stack: Stack) => ec2.Vpc.fromVpcAttributes(stack, 'Existing', {
    vpcId: 'vpc-0123456789abcdef0', vpcCidrBlock: '10.20.0.0/16', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-aaaaaaaa'],
  });

  test.each([
    [{ cidr: '10.0.0/16' }, 'Network "Net" (Test/Net): cidr must be an IPv4 CIDR block from /16 to /28 such as "10.0.0.0/16", got "10.0.0/16"'],
    [{ cidr: '10.0.0.0/8' }, 'Network "Net" (Test/Net): cidr must be an IPv4 CIDR block from /16 to /28 such as "10.0.0.0/16", got "10.0.0.0/8"'],
    [{ cidr: '10.0.0.0/29' }, 'Network "Net" (Test/Net): cidr must be an IPv4 CIDR block from /16 to /28 such as "10.0.0.0/16", got "10.0.0.0/29"'],
    [{ cidr: '10.300.0.0/16' }, 'Network "Net" (Test/Net): cidr must be an IPv4 CIDR block from /16 to /28 such as "10.0.0.0/16", got "10.300.0.0/16"'],
    [{ cidr: '10.0.1.0/16' }, 'Network "Net" (Test/Net): cidr must be its network address (10.0.0.0/16), got "10.0.1.0/16"'],
    [{ maxAzs: 0 }, 'Network "Net" (Test/Net): maxAzs must be an integer 1-6, got 0'],
    [{ maxAzs: 7 }, 'Network "Net" (Test/Net): maxAzs must be an integer 1-6, got 7'],
    [{ maxAzs: 4 }, 'Network "Net" (Test/Net): maxAzs must be at most 3 (the AZs eu-west-1 offers), got 4'],
    [{ maxAzs: 2, natGateways: 3 }, 'Network "Net" (Test/Net): natGateways must be an integer 0-2, got 3'],
    [{ isolatedOnly: true, natGateways: 1 },
      'Network "Net" (Test/Net): natGateways must be 0 or unset with isolatedOnly (an isolated-only VPC has no public subnet to hold a NAT gateway), got 1'],
    [{ isolatedOnly: false, natGateways: 0 },
      'Network "Net" (Test/Net): natGateways must be 1-3 when isolatedOnly is false (private subnets with egress need a NAT gateway); set isolatedOnly: true for a VPC without internet egress, got 0'],
    [{ isolatedSubnetCidrMask: 29 }, 'Network "Net" (Test/Net): isolatedSubnetCidrMask must be an integer 16-28, got 29'],
    [{ cidr: '10.0.0.0/20', privateSubnetCidrMask: 19 }, 'Network "Net" (Test/Net): privateSubnetCidrMask must be an integer 20-28, got 19'],
    [{ cidr: '10.0.0.0/20' },
      'Network "Net" (Test/Net): subnet sizes must be small enough that 3 AZs x (/24 + /20 + /24) fit in 10.0.0.0/20 (they need 13824 addresses, it has 4096), got "publicSubnetCidrMask /24, privateSubnetCidrMask /20, isolatedSubnetCidrMask /24"'],
    [{ connectedCidrs: ['192.168.0.0/16', '10.0.128.0/17'] },
      'Network "Net" (Test/Net): cidr must be a range that does not overlap connectedCidrs[1] (10.0.128.0/17): overlapping networks cannot be peered or routed to each other, got "10.0.0.0/16"'],
    [{ cidr: '10.1.0.0/16', connectedCidrs: ['10.0.0.0/8'] },
      'Network "Net" (Test/Net): cidr must be a range that does not overlap connectedCidrs[0] (10.0.0.0/8): overlapping networks cannot be peered or routed to each other, got "10.1.0.0/16"'],
    [{ connectedCidrs: ['10.1.0.0'] }, 'Network "Net" (Test/Net): connectedCidrs[0] must be an IPv4 CIDR block such as "10.1.0.0/16", got "10.1.0.0"'],
    [{ interfaceEndpoints: [InterfaceEndpointService.KMS, InterfaceEndpointService.STS, InterfaceEndpointService.KMS] },
      'Network "Net" (Test/Net): interfaceEndpoints[2] must be unique (it is listed twice), got "kms"'],
    [{ gatewayEndpoints: [GatewayEndpointService.S3, GatewayEndpointService.S3] },
      'Network "Net" (Test/Net): gatewayEndpoints[1] must be unique (it is listed twice), got "s3"'],
  ] as Array<[NetworkProps, string]>)('%j', (props, message) => {
    expect(() => make(props)).toThrow(message);
  });

  test('maxAzs above the AZs the account has in the region (from cdk.context.json)', () => {
    const app = new App({ context: { 'availability-zones:account=123456789012:region=eu-west-1': ['eu-west-1a', 'eu-west-1b'] } });
    expect(() => make({ maxAzs: 3 }, testStack(app))).toThrow(
      'Network "Net" (Test/Net): maxAzs must be at most 2 (the AZs eu-west-1 offers this account: eu-west-1a, eu-west-1b), got 3');
    expect(make({}, testStack(new App({ context: { 'availability-zones:account=123456789012:region=eu-west-1': ['eu-west-1a', 'eu-west-1b'] } })))
      .vpc.availabilityZones).toEqual(['eu-west-1a', 'eu-west-1b']);
  });

  test('maxAzs above 2 in an environment-agnostic stack', () => {
    expect(() => make({ maxAzs: 3 }, new Stack(testApp(), 'Agnostic'))).toThrow(
      'Network "Net" (Agnostic/Net): maxAzs must be at most 2 (an environment-agnostic stack addresses only two AZs; set the stack\'s env for more), got 3');
  });

  test('maxAzs up to the region\'s AZ count is accepted (us-east-1 has 6)', () => {
    const stack = new Stack(testApp(), 'Virginia', { env: { account: '123456789012', region: 'us-east-1' } });
    expect(() => make({ maxAzs: 6, natGateways: 1 }, stack)).not.toThrow();
  });

  test('layout props are refused with an existing VPC', () => {
    const stack = testStack(testApp());
    expect(() => make({ vpc: existing(stack), cidr: '10.0.0.0/16' }, stack)).toThrow(
      'Network "Net" (Test/Net): cidr must be unset when vpc is given (an existing VPC keeps its own layout), got "10.0.0.0/16"');
    const other = testStack(testApp());
    expect(() => make({ vpc: existing(other), natGateways: 1 }, other)).toThrow(
      'Network "Net" (Test/Net): natGateways must be unset when vpc is given (an existing VPC keeps its own layout), got 1');
  });

  test('connected ranges must not overlap an existing VPC', () => {
    const stack = testStack(testApp());
    expect(() => make({ vpc: existing(stack), connectedCidrs: ['10.20.5.0/24'] }, stack)).toThrow(
      'Network "Net" (Test/Net): the vpc\'s CIDR must be a range that does not overlap connectedCidrs[0] (10.20.5.0/24): overlapping networks cannot be peered or routed to each other, got "10.20.0.0/16"');
  });

  test('an existing VPC without private or isolated subnets cannot hold interface endpoints', () => {
    const stack = testStack(testApp());
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'PublicOnly', {
      vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['eu-west-1a'], publicSubnetIds: ['subnet-aaaaaaaa'],
    });
    expect(() => make({ vpc, gatewayEndpoints: [] }, stack)).toThrow(
      'Network "Net" (Test/Net): vpc must be a VPC with isolated or private subnets to hold the interface endpoints (or set interfaceEndpoints: []), got "vpc-0123456789abcdef0"');
  });

  test('function security group ports must be 1-65535', () => {
    const network = make({});
    expect(() => network.securityGroupForFunction('Sg', { allowTcpPortsTo: [{ peer: ec2.Peer.ipv4('10.1.0.0/16'), port: 70000 }] })).toThrow(
      'Network "Net" (Test/Net): securityGroupForFunction("Sg").allowTcpPortsTo[0].port must be an integer 1-65535, got 70000');
  });

  test('a valid configuration at the edges is accepted', () => {
    expect(() => make({ cidr: '10.0.0.0/24', maxAzs: 1, natGateways: 1, publicSubnetCidrMask: 28, privateSubnetCidrMask: 25, isolatedSubnetCidrMask: 26 })).not.toThrow();
    expect(() => make({ cidr: '10.0.0.0/28', maxAzs: 1, isolatedOnly: true, isolatedSubnetCidrMask: 28, interfaceEndpoints: [] })).not.toThrow();
  });
});
