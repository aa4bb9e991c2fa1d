import {
  CustomResource,
  Duration,
  Stack,
  Token,
  aws_ec2 as ec2,
  aws_iam as iam,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_logs as logs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ManagedPolicyRole } from '../compute/managed-policy-role';
import { acknowledge, acknowledgeStackSingleton, complianceRuleIds, controlTowerRule } from '../core/acknowledge';
import { PropsValidator } from '../core/validation';
import { defaultKey } from '../governance/default-key';
import { encryptedLogGroup } from '../governance/encrypted-log-group';
import { EnvironmentConfig } from '../governance/environment-config';

/** AWS services the Network can reach through interface endpoints (PrivateLink, private DNS on). */
export enum InterfaceEndpointService {
  /** AWS Secrets Manager. */
  SECRETS_MANAGER = 'secretsmanager',
  /** Amazon CloudWatch Logs. */
  LOGS = 'logs',
  /** AWS KMS. */
  KMS = 'kms',
  /** Amazon SQS. */
  SQS = 'sqs',
  /** AWS STS. */
  STS = 'sts',
  /** AWS X-Ray. */
  XRAY = 'xray',
  /** Amazon SNS. */
  SNS = 'sns',
  /** Amazon EventBridge. */
  EVENTBRIDGE = 'events',
  /** AWS Lambda (invoking functions). */
  LAMBDA = 'lambda',
  /** Amazon CloudWatch metrics and alarms. */
  CLOUDWATCH = 'monitoring',
  /** AWS Systems Manager (Parameter Store). */
  SSM = 'ssm',
  /** AWS Step Functions. */
  STEP_FUNCTIONS = 'states',
  /** Amazon ECR API. */
  ECR_API = 'ecr.api',
  /** Amazon ECR image layers (Docker registry). */
  ECR_DOCKER = 'ecr.dkr',
}

/** AWS services the Network can reach through (free) gateway endpoints. */
export enum GatewayEndpointService {
  /** Amazon S3. */
  S3 = 's3',
  /** Amazon DynamoDB. */
  DYNAMODB = 'dynamodb',
}

/** One TCP egress rule of a function security group. */
export interface TcpEgressRule {
  /** Where the traffic may go, e.g. another security group or `ec2.Peer.ipv4('10.1.0.0/16')`. */
  readonly peer: ec2.IPeer;
  /** TCP port (1-65535). */
  readonly port: number;
  /**
   * Rule description.
   * @default - "TCP <port> to <peer>"
   */
  readonly description?: string;
}

/** Options of `Network.securityGroupForFunction`. */
export interface FunctionSecurityGroupOptions {
  /**
   * Extra TCP egress the function needs (a database, a cache, a partner API through NAT).
   * @default - none: HTTPS to the VPC endpoints only
   */
  readonly allowTcpPortsTo?: TcpEgressRule[];
  /**
   * Description of the security group.
   * @default - "Least-privilege security group <path>"
   */
  readonly description?: string;
}

/** Properties of a Network. */
export interface NetworkProps {
  /**
   * An existing VPC to add endpoints and flow logs to instead of creating one. The layout props
   * (cidr, maxAzs, natGateways, isolatedOnly, *SubnetCidrMask) must then be unset; NAT and the
   * default security group are left alone (an `IVpc` does not expose the latter). Interface
   * endpoints go to its isolated subnets, else its private ones. Pass `interfaceEndpoints: []`
   * / `gatewayEndpoints: []` for services the VPC already has endpoints for (two endpoints with
   * private DNS for one service conflict).
   * @default - a new VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * IPv4 range of the new VPC, /16 to /28, given as its network address.
   * @default '10.0.0.0/16'
   */
  readonly cidr?: string;
  /**
   * Availability zones (1-6), at most as many as the region offers.
   * @default 3, fewer in a region with fewer AZs; 2 in an environment-agnostic stack (CDK can address only two AZs there)
   */
  readonly maxAzs?: number;
  /**
   * NAT gateways (0 to maxAzs); 0 means an isolated-only design.
   * @default - the EnvironmentConfig's natGateways (1 in dev and staging, one per AZ in prod), at most maxAzs
   */
  readonly natGateways?: number;
  /**
   * Isolated subnets only: no public subnets, no internet gateway, no NAT. AWS services are
   * reached through the VPC endpoints alone.
   * @default - true when the NAT count is 0, else false
   */
  readonly isolatedOnly?: boolean;
  /**
   * Prefix length of each public subnet (holds NAT gateways and load balancers).
   * @default 24
   */
  readonly publicSubnetCidrMask?: number;
  /**
   * Prefix length of each private subnet with egress (Lambda ENIs need room).
   * @default 20
   */
  readonly privateSubnetCidrMask?: number;
  /**
   * Prefix length of each isolated subnet (holds the interface endpoints and data stores).
   * @default 24
   */
  readonly isolatedSubnetCidrMask?: number;
  /**
   * IPv4 ranges of networks this VPC will be connected to (peered VPCs, on-premises through
   * VPN or Direct Connect, Transit Gateway attachments); the VPC range must not overlap them.
   * @default - none
   */
  readonly connectedCidrs?: string[];
  /**
   * Interface endpoints to create (private DNS on, in the isolated subnets, one per AZ).
   * @default - SECRETS_MANAGER, LOGS, KMS, SQS, STS, XRAY
   */
  readonly interfaceEndpoints?: InterfaceEndpointService[];
  /**
   * Gateway endpoints to create (routes in the private and isolated route tables).
   * @default - S3, DYNAMODB
   */
  readonly gatewayEndpoints?: GatewayEndpointService[];
  /**
   * Whether to record VPC flow logs (all traffic). Turn off only for an existing VPC that already
   * has them; on a new VPC the compliance packs then report the missing flow log.
   * @default true
   */
  readonly flowLogsEnabled?: boolean;
  /**
   * Retention of the flow log group.
   * @default - the EnvironmentConfig's logRetention
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Customer-managed key for the flow log group (and the prefix-list lookup's log group). It must
   * let CloudWatch Logs use it (the library adds that statement to keys it can modify).
   * @default - the stack's default customer-managed key
   */
  readonly encryptionKey?: kms.IKey;
}

const DEFAULT_INTERFACE_ENDPOINTS = [
  InterfaceEndpointService.SECRETS_MANAGER,
  InterfaceEndpointService.LOGS,
  InterfaceEndpointService.KMS,
  InterfaceEndpointService.SQS,
  InterfaceEndpointService.STS,
  InterfaceEndpointService.XRAY,
];

const INTERFACE_SERVICES: Record<InterfaceEndpointService, [string, ec2.InterfaceVpcEndpointAwsService]> = {
  [InterfaceEndpointService.SECRETS_MANAGER]: ['SecretsManager', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
  [InterfaceEndpointService.LOGS]: ['Logs', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
  [InterfaceEndpointService.KMS]: ['Kms', ec2.InterfaceVpcEndpointAwsService.KMS],
  [InterfaceEndpointService.SQS]: ['Sqs', ec2.InterfaceVpcEndpointAwsService.SQS],
  [InterfaceEndpointService.STS]: ['Sts', ec2.InterfaceVpcEndpointAwsService.STS],
  [InterfaceEndpointService.XRAY]: ['XRay', ec2.InterfaceVpcEndpointAwsService.XRAY],
  [InterfaceEndpointService.SNS]: ['Sns', ec2.InterfaceVpcEndpointAwsService.SNS],
  [InterfaceEndpointService.EVENTBRIDGE]: ['EventBridge', ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE],
  [InterfaceEndpointService.LAMBDA]: ['Lambda', ec2.InterfaceVpcEndpointAwsService.LAMBDA],
  [InterfaceEndpointService.CLOUDWATCH]: ['CloudWatch', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING],
  [InterfaceEndpointService.SSM]: ['Ssm', ec2.InterfaceVpcEndpointAwsService.SSM],
  [InterfaceEndpointService.STEP_FUNCTIONS]: ['StepFunctions', ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS],
  [InterfaceEndpointService.ECR_API]: ['EcrApi', ec2.InterfaceVpcEndpointAwsService.ECR],
  [InterfaceEndpointService.ECR_DOCKER]: ['EcrDocker', ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER],
};

const GATEWAY_SERVICES: Record<GatewayEndpointService, [string, ec2.GatewayVpcEndpointAwsService]> = {
  [GatewayEndpointService.S3]: ['S3', ec2.GatewayVpcEndpointAwsService.S3],
  [GatewayEndpointService.DYNAMODB]: ['DynamoDb', ec2.GatewayVpcEndpointAwsService.DYNAMODB],
};

/**
 * AZs usable by a standard account in common regions, used to validate maxAzs before CDK has
 * looked up the account's real AZs (CDK returns three dummy AZs until then). When the stack's
 * AZs are known (cdk.context.json), their count is used instead.
 */
const REGION_AZ_COUNT: Record<string, number> = {
  'us-east-1': 6,
  'us-east-2': 3,
  'us-west-1': 2,
  'us-west-2': 4,
  'ca-central-1': 3,
  'sa-east-1': 3,
  'eu-west-1': 3,
  'eu-west-2': 3,
  'eu-west-3': 3,
  'eu-central-1': 3,
  'eu-north-1': 3,
  'eu-south-1': 3,
  'ap-south-1': 3,
  'ap-northeast-1': 3,
  'ap-northeast-2': 4,
  'ap-northeast-3': 3,
  'ap-southeast-1': 3,
  'ap-southeast-2': 3,
  'ap-east-1': 3,
  'me-south-1': 3,
  'af-south-1': 3,
};

/** Agnostic stacks resolve `Stack.availabilityZones` to two `Fn::GetAZs` selections. */
const AGNOSTIC_AZ_COUNT = 2;

// Custom-resource handler that reads the ids of AWS-managed prefix lists (CloudFormation exposes
// no attribute for them). PrefixLists maps each attribute name to a prefix-list name.
const PREFIX_LIST_HANDLER = `
const { EC2Client, DescribeManagedPrefixListsCommand } = require('@aws-sdk/client-ec2');
const ec2 = new EC2Client({});
exports.handler = async (event, context) => {
  const data = {};
  let status = 'SUCCESS';
  let reason = 'OK';
  try {
    if (event.RequestType !== 'Delete') {
      for (const [key, name] of Object.entries(event.ResourceProperties.PrefixLists)) {
        const out = await ec2.send(new DescribeManagedPrefixListsCommand({ Filters: [{ Name: 'prefix-list-name', Values: [name] }] }));
        const id = out.PrefixLists && out.PrefixLists[0] && out.PrefixLists[0].PrefixListId;
        if (!id) throw new Error('no AWS-managed prefix list named ' + name);
        data[key] = id;
      }
    }
  } catch (err) {
    status = 'FAILED';
    reason = String(err) + ' (log stream ' + context.logStreamName + ')';
  }
  console.log(JSON.stringify({ requestType: event.RequestType, status, reason, data }));
  const body = JSON.stringify({
    Status: status, Reason: reason, PhysicalResourceId: event.PhysicalResourceId || 'aws-managed-prefix-lists',
    StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId, Data: data,
  });
  const res = await fetch(event.ResponseURL, { method: 'PUT', headers: { 'content-type': '' }, body });
  if (!res.ok) throw new Error('CloudFormation response upload failed: HTTP ' + res.status);
};
`;

/**
 * A VPC with secure defaults: public, private-with-egress and isolated subnets across three AZs
 * (or isolated subnets only), NAT gateways per EnvironmentConfig, S3 and DynamoDB gateway
 * endpoints, interface endpoints with private DNS for the AWS APIs serverless code calls, flow
 * logs of all traffic to a KMS-encrypted log group with retention, and the default security
 * group stripped of all rules. `securityGroupForFunction` hands out least-privilege security
 * groups whose only egress is HTTPS to the endpoints plus the ports a caller names.
 * Pass `vpc` to add the endpoints and flow logs to an existing VPC instead.
 */
export class Network extends Construct {
  /** The VPC (created, or the one passed in). */
  public readonly vpc: ec2.IVpc;
  /**
   * Security group of the interface endpoints, if any: HTTPS in from the VPC range (when known at
   * synth time) and from every group `securityGroupForFunction` hands out; no egress.
   */
  public readonly endpointSecurityGroup?: ec2.SecurityGroup;
  /** Interface endpoints, in the order of `interfaceEndpoints`. */
  public readonly interfaceEndpoints: ec2.InterfaceVpcEndpoint[];
  /** Gateway endpoints, in the order of `gatewayEndpoints`. */
  public readonly gatewayEndpoints: ec2.GatewayVpcEndpoint[];
  /** The VPC flow log, when enabled. */
  public readonly flowLog?: ec2.FlowLog;
  /** Log group receiving the flow log, when enabled. */
  public readonly flowLogGroup?: logs.LogGroup;
  /** Key encrypting the log groups. */
  public readonly encryptionKey: kms.IKey;
  /** NAT gateways of the created VPC (0 for an existing VPC or an isolated-only design). */
  public readonly natGatewayCount: number;

  private readonly gatewayServices: GatewayEndpointService[];
  private readonly logRetention: logs.RetentionDays;
  private prefixLists?: CustomResource;

  constructor(scope: Construct, id: string, props: NetworkProps = {}) {
    super(scope, id);
    const profile = EnvironmentConfig.of(this);
    const layout = validate(this, props, profile);
    this.encryptionKey = props.encryptionKey ?? defaultKey(this);
    this.logRetention = props.logRetention ?? profile.logRetention;
    this.natGatewayCount = layout?.natGateways ?? 0;

    if (props.vpc) {
      this.vpc = props.vpc;
    } else {
      this.vpc = this.createVpc(layout!);
    }

    this.gatewayServices = props.gatewayEndpoints ?? [GatewayEndpointService.S3, GatewayEndpointService.DYNAMODB];
    this.gatewayEndpoints = this.gatewayServices.map((service) => {
      const [name, awsService] = GATEWAY_SERVICES[service];
      return new ec2.GatewayVpcEndpoint(this, `${name}Endpoint`, { vpc: this.vpc, service: awsService, subnets: this.workloadSubnets() });
    });

    const interfaceServices = props.interfaceEndpoints ?? DEFAULT_INTERFACE_ENDPOINTS;
    if (interfaceServices.length > 0) {
      this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
        vpc: this.vpc,
        description: `Interface endpoints of ${this.node.path}: HTTPS in from the VPC`,
        allowAllOutbound: false,
      });
      // A literal range (nag rules cannot read a GetAtt); an imported VPC of unknown range lets in
      // only the groups from securityGroupForFunction.
      const vpcCidr = layout?.cidr ?? knownCidr(this.vpc);
      if (vpcCidr && !Token.isUnresolved(vpcCidr)) {
        this.endpointSecurityGroup.addIngressRule(ec2.Peer.ipv4(vpcCidr), ec2.Port.tcp(443), 'HTTPS from inside the VPC');
      }
    }
    const endpointSubnets = this.endpointSubnets(interfaceServices.length > 0);
    this.interfaceEndpoints = interfaceServices.map((service) => {
      const [name, awsService] = INTERFACE_SERVICES[service];
      return new ec2.InterfaceVpcEndpoint(this, `${name}Endpoint`, {
        vpc: this.vpc,
        service: awsService,
        privateDnsEnabled: true,
        subnets: endpointSubnets,
        securityGroups: [this.endpointSecurityGroup!],
        open: false, // ingress is the VPC range on the shared group (an imported VPC may not know its range)
      });
    });

    if (props.flowLogsEnabled !== false) {
      [this.flowLog, this.flowLogGroup] = this.createFlowLog();
    }
  }

  /**
   * A security group for a Lambda function in this VPC with no egress but HTTPS (443) to the
   * interface endpoints and to the S3 / DynamoDB gateway endpoints (their AWS-managed prefix
   * lists, resolved at deploy time), plus the TCP ports named in `allowTcpPortsTo`.
   */
  public securityGroupForFunction(id: string, options: FunctionSecurityGroupOptions = {}): ec2.SecurityGroup {
    const v = new PropsValidator('Network', this);
    (options.allowTcpPortsTo ?? []).forEach((rule, i) => v.range(`securityGroupForFunction("${id}").allowTcpPortsTo[${i}].port`, rule.port, 1, 65535));

    const sg = new ec2.SecurityGroup(this, id, {
      vpc: this.vpc,
      description: options.description ?? `Least-privilege security group ${this.node.path}/${id}`,
      allowAllOutbound: false,
    });
    if (this.endpointSecurityGroup) {
      sg.connections.allowTo(this.endpointSecurityGroup, ec2.Port.tcp(443), 'HTTPS to the interface endpoints');
    }
    if (this.gatewayServices.length > 0) {
      const lists = this.prefixListLookup();
      for (const service of this.gatewayServices) {
        const [name] = GATEWAY_SERVICES[service];
        sg.addEgressRule(ec2.Peer.prefixList(lists.getAttString(name)), ec2.Port.tcp(443), `HTTPS to ${name} through its gateway endpoint`);
      }
    }
    for (const rule of options.allowTcpPortsTo ?? []) {
      sg.addEgressRule(rule.peer, ec2.Port.tcp(rule.port), rule.description ?? `TCP ${rule.port} to ${rule.peer.uniqueId}`);
    }
    return sg;
  }

  private createVpc(layout: Layout): ec2.Vpc {
    const subnets: ec2.SubnetConfiguration[] = [
      { name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: layout.isolatedMask },
    ];
    if (!layout.isolatedOnly) {
      // Public subnets exist for NAT gateways and load balancers; nothing gets a public IP on launch.
      subnets.unshift(
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: layout.publicMask, mapPublicIpOnLaunch: false },
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: layout.privateMask },
      );
    }
    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(layout.cidr),
      maxAzs: layout.maxAzs,
      natGateways: layout.natGateways,
      subnetConfiguration: packed(subnets),
      createInternetGateway: !layout.isolatedOnly,
      // CDK's custom resource revokes every rule of the default security group.
      restrictDefaultSecurityGroup: true,
    });
    acknowledgeStackSingleton(this, 'Custom::VpcRestrictDefaultSGCustomResourceProvider', [controlTowerRule('lambda_inside_vpc_check')],
      'CDK\'s provider that revokes every rule of the default security group runs once per deployment and only calls the EC2 ' +
      'API; aws-cdk-lib offers no VPC placement for it, and it must run before anything in the VPC can rely on the rules.');
    for (const subnet of vpc.publicSubnets) {
      const route = subnet.node.tryFindChild('DefaultRoute');
      if (route) {
        acknowledge(route, complianceRuleIds('VPCNoUnrestrictedRouteToIGW'),
          'This is a public subnet: it holds only NAT gateways (the private subnets\' way out) and internet-facing load balancers, and its 0.0.0.0/0 route to the internet gateway is what makes it public. Nothing gets a public IP on launch; use isolatedOnly for a VPC without one.');
      }
    }
    return vpc;
  }

  /** Subnets whose route tables get the gateway endpoint routes: private and isolated ones. */
  private workloadSubnets(): ec2.SubnetSelection[] {
    const selections: ec2.SubnetSelection[] = [];
    if (this.vpc.privateSubnets.length > 0) selections.push({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS });
    if (this.vpc.isolatedSubnets.length > 0) selections.push({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED });
    return selections;
  }

  /** One subnet per AZ for the interface endpoints: isolated if the VPC has them, else private. */
  private endpointSubnets(needed: boolean): ec2.SubnetSelection | undefined {
    if (!needed) return undefined;
    const subnetType = this.vpc.isolatedSubnets.length > 0 ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PRIVATE_WITH_EGRESS;
    new PropsValidator('Network', this).check(this.vpc.isolatedSubnets.length + this.vpc.privateSubnets.length > 0,
      'vpc', this.vpc.vpcId, 'a VPC with isolated or private subnets to hold the interface endpoints (or set interfaceEndpoints: [])');
    return { subnetType, onePerAz: true };
  }

  private createFlowLog(): [ec2.FlowLog, logs.LogGroup] {
    const logGroup = encryptedLogGroup(this, 'FlowLogGroup', { encryptionKey: this.encryptionKey, retention: this.logRetention });
    const stack = Stack.of(this);
    // Confused-deputy guard: only flow logs of this account may assume the role.
    const role = new ManagedPolicyRole(this, 'FlowLogRole', {
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'ec2', resource: 'vpc-flow-log', resourceName: '*' }) },
      }),
      description: `Delivers the VPC flow log of ${this.node.path} to its log group`,
    });
    const flowLog = new ec2.FlowLog(this, 'FlowLog', {
      resourceType: ec2.FlowLogResourceType.fromVpc(this.vpc),
      trafficType: ec2.FlowLogTrafficType.ALL,
      destination: ec2.FlowLogDestination.toCloudWatchLogs(logGroup, role),
    });
    flowLog.node.addDependency(role.policy);
    return [flowLog, logGroup];
  }

  /**
   * Custom resource returning the ids of the gateway services' AWS-managed prefix lists
   * (`com.amazonaws.<region>.s3` / `.dynamodb`), which differ per region and which
   * CloudFormation does not expose. Created once, on first use.
   */
  private prefixListLookup(): CustomResource {
    if (this.prefixLists) return this.prefixLists;
    const scope = new Construct(this, 'PrefixListLookup');
    const logGroup = encryptedLogGroup(scope, 'LogGroup', { encryptionKey: this.encryptionKey, retention: this.logRetention });
    const role = new ManagedPolicyRole(scope, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Reads the AWS-managed prefix lists for ${this.node.path}`,
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'WriteOwnLogGroup',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadManagedPrefixLists',
      actions: ['ec2:DescribeManagedPrefixLists'],
      resources: ['*'],
    }));
    const fn = new lambda.Function(scope, 'Function', {
      description: `Reads the AWS-managed prefix-list ids for ${this.node.path} at deploy time`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline(PREFIX_LIST_HANDLER),
      memorySize: 256,
      timeout: Duration.seconds(60),
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      role,
    });
    const cfnFn = fn.node.defaultChild!;
    acknowledge(cfnFn, [...complianceRuleIds('LambdaInsideVPC'), controlTowerRule('lambda_inside_vpc_check')],
      'Deploy-time lookup that only reads EC2 prefix lists: inside the VPC it would need NAT or an EC2 endpoint before the VPC is usable, and its ENIs would hold up stack deletion for up to 40 minutes.');
    acknowledge(cfnFn, ['HIPAA.Security-LambdaDLQ', 'NIST.800.53.R5-LambdaDLQ', 'Serverless-LambdaDLQ', 'HIPAA.Security-LambdaConcurrency', 'NIST.800.53.R5-LambdaConcurrency'],
      'Invoked only by CloudFormation, once per deployment: a failure fails the deployment where the operator sees it (no event to park in a DLQ), and one invocation per deployment needs no concurrency cap.');
    acknowledge(role.policy, ['AwsSolutions-IAM5[Resource::*]'],
      'ec2:DescribeManagedPrefixLists and the X-Ray PutTraceSegments/PutTelemetryRecords actions support no resource-level permissions, so they take "*"; the policy holds no other wildcard.');

    const prefixLists: Record<string, string> = {};
    for (const service of this.gatewayServices) {
      const [name, awsService] = GATEWAY_SERVICES[service];
      prefixLists[name] = awsService.name; // the prefix list carries the endpoint service's name
    }
    this.prefixLists = new CustomResource(scope, 'Resource', {
      serviceToken: fn.functionArn,
      resourceType: 'Custom::AwsManagedPrefixLists',
      properties: { PrefixLists: prefixLists },
      serviceTimeout: Duration.minutes(5), // fail a stuck lookup in minutes, not CloudFormation's hour
    });
    this.prefixLists.node.addDependency(role.policy);
    return this.prefixLists;
  }
}

interface Layout {
  readonly cidr: string;
  readonly maxAzs: number;
  readonly natGateways: number;
  readonly isolatedOnly: boolean;
  readonly publicMask: number;
  readonly privateMask: number;
  readonly isolatedMask: number;
}

const LAYOUT_PROPS = ['cidr', 'maxAzs', 'natGateways', 'isolatedOnly', 'publicSubnetCidrMask', 'privateSubnetCidrMask', 'isolatedSubnetCidrMask'] as const;
const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Validates props and returns the layout of the VPC to create (undefined for an existing VPC). */
function validate(scope: Construct, props: NetworkProps, profile: EnvironmentConfig): Layout | undefined {
  const v = new PropsValidator('Network', scope);
  unique(v, 'interfaceEndpoints', props.interfaceEndpoints ?? []);
  unique(v, 'gatewayEndpoints', props.gatewayEndpoints ?? []);
  const connected = (props.connectedCidrs ?? []).map((cidr, i) => {
    const parsed = parseCidr(cidr);
    v.check(Token.isUnresolved(cidr) || parsed !== undefined, `connectedCidrs[${i}]`, cidr, 'an IPv4 CIDR block such as "10.1.0.0/16"');
    return { prop: `connectedCidrs[${i}]`, cidr, parsed };
  });

  if (props.vpc) {
    for (const prop of LAYOUT_PROPS) {
      v.check(props[prop] === undefined, prop, props[prop], 'unset when vpc is given (an existing VPC keeps its own layout)');
    }
    const cidr = knownCidr(props.vpc);
    checkOverlaps(v, 'the vpc\'s CIDR', cidr, connected);
    return undefined;
  }

  const cidr = props.cidr ?? '10.0.0.0/16';
  v.check(!Token.isUnresolved(cidr), 'cidr', 'a deploy-time value', 'known at synth time (CDK computes the subnet ranges from it)');
  const network = parseCidr(cidr);
  v.check(network !== undefined && network.mask >= 16 && network.mask <= 28, 'cidr', cidr, 'an IPv4 CIDR block from /16 to /28 such as "10.0.0.0/16"');
  v.check(network!.base % network!.size === 0, 'cidr', cidr, `its network address (${formatCidr(network!.base - (network!.base % network!.size), network!.mask)})`);

  const available = availableAzs(scope);
  v.range('maxAzs', props.maxAzs, 1, 6);
  if (props.maxAzs !== undefined && available.count !== undefined) {
    v.check(props.maxAzs <= available.count, 'maxAzs', props.maxAzs, `at most ${available.count} (${available.source})`);
  }
  const maxAzs = props.maxAzs ?? Math.min(3, available.count ?? 3);

  v.range('natGateways', props.natGateways, 0, maxAzs);
  v.check(!(props.isolatedOnly === true && (props.natGateways ?? 0) > 0), 'natGateways', props.natGateways,
    '0 or unset with isolatedOnly (an isolated-only VPC has no public subnet to hold a NAT gateway)');
  const profileNat = Math.min(profile.natGateways, maxAzs);
  const isolatedOnly = props.isolatedOnly ?? (props.natGateways ?? profileNat) === 0;
  const natGateways = isolatedOnly ? 0 : (props.natGateways ?? profileNat);
  v.check(isolatedOnly || natGateways > 0, 'natGateways', natGateways,
    `1-${maxAzs} when isolatedOnly is false (private subnets with egress need a NAT gateway); set isolatedOnly: true for a VPC without internet egress`);

  const publicMask = props.publicSubnetCidrMask ?? 24;
  const privateMask = props.privateSubnetCidrMask ?? 20;
  const isolatedMask = props.isolatedSubnetCidrMask ?? 24;
  const masks: Array<[string, number, boolean]> = [
    ['publicSubnetCidrMask', publicMask, !isolatedOnly],
    ['privateSubnetCidrMask', privateMask, !isolatedOnly],
    ['isolatedSubnetCidrMask', isolatedMask, true],
  ];
  const used = masks.filter(([, , present]) => present);
  for (const [prop, mask] of used) {
    v.range(prop, mask, network!.mask, 28);
  }
  // Allocate as CDK does (each block aligned to its size, largest first) and check the fit.
  const end = used.map(([, mask]) => mask).sort((a, b) => a - b).reduce((next, mask) => {
    const size = 2 ** (32 - mask);
    return Math.ceil(next / size) * size + size * maxAzs;
  }, 0);
  v.check(end <= network!.size, 'subnet sizes', used.map(([prop, mask]) => `${prop} /${mask}`).join(', '),
    `small enough that ${maxAzs} AZs x (${used.map(([, mask]) => `/${mask}`).join(' + ')}) fit in ${cidr} (they need ${end} addresses, it has ${network!.size})`);

  checkOverlaps(v, 'cidr', cidr, connected);
  return { cidr, maxAzs, natGateways, isolatedOnly, publicMask, privateMask, isolatedMask };
}

function unique(v: PropsValidator, prop: string, values: string[]): void {
  values.forEach((value, i) => v.check(values.indexOf(value) === i, `${prop}[${i}]`, value, 'unique (it is listed twice)'));
}

interface ParsedCidr { readonly base: number; readonly mask: number; readonly size: number }

function parseCidr(cidr: string): ParsedCidr | undefined {
  const m = IPV4_CIDR.exec(cidr);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const mask = Number(m[5]);
  if (octets.some((o) => o > 255) || mask > 32) return undefined;
  return { base: octets.reduce((acc, o) => acc * 256 + o, 0), mask, size: 2 ** (32 - mask) };
}

function formatCidr(base: number, mask: number): string {
  return `${[24, 16, 8, 0].map((shift) => Math.floor(base / 2 ** shift) % 256).join('.')}/${mask}`;
}

function checkOverlaps(v: PropsValidator, prop: string, cidr: string | undefined,
  connected: Array<{ prop: string; cidr: string; parsed?: ParsedCidr }>): void {
  const own = cidr ? parseCidr(cidr) : undefined;
  if (!own) return;
  for (const other of connected) {
    if (!other.parsed) continue;
    const overlaps = own.base < other.parsed.base + other.parsed.size && other.parsed.base < own.base + own.size;
    v.check(!overlaps, prop, cidr, `a range that does not overlap ${other.prop} (${other.cidr}): overlapping networks cannot be peered or routed to each other`);
  }
}

/** How many AZs the stack's region offers, when that can be known at synth time. */
function availableAzs(scope: Construct): { count?: number; source: string } {
  const stack = Stack.of(scope);
  if (Token.isUnresolved(stack.region)) {
    return { count: AGNOSTIC_AZ_COUNT, source: 'an environment-agnostic stack addresses only two AZs; set the stack\'s env for more' };
  }
  const azs = stack.availabilityZones;
  if (azs.every((az) => !Token.isUnresolved(az) && !az.startsWith('dummy'))) {
    return { count: azs.length, source: `the AZs ${stack.region} offers this account: ${azs.join(', ')}` };
  }
  const known = REGION_AZ_COUNT[stack.region];
  return { count: known, source: `the AZs ${stack.region} offers` };
}

/** The VPC's IPv4 range if it is known at synth time (an imported VPC may not carry it). */
function knownCidr(vpc: ec2.IVpc): string | undefined {
  try {
    return vpc.vpcCidrBlock;
  } catch {
    return undefined; // Vpc.fromVpcAttributes without vpcCidrBlock throws on access
  }
}

/** Orders subnet groups largest first so CDK's aligned allocation leaves no gaps. */
function packed(subnets: ec2.SubnetConfiguration[]): ec2.SubnetConfiguration[] {
  return [...subnets].sort((a, b) => (a.cidrMask ?? 0) - (b.cidrMask ?? 0));
}
