import { existsSync, readFileSync, readdirSync } from 'fs';
import * as path from 'path';
import {
  Duration, Stack, aws_dynamodb as dynamodb, aws_ec2 as ec2, aws_lambda as lambda, aws_lambda_nodejs as nodejs, aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AlarmSet, EnvironmentConfig, LogLevel } from '../../src';
import { EnhancedLambdaFunction, EnhancedLambdaFunctionProps } from '../../src/compute';
import { expectNagClean, testApp, testStack } from '../support/nag-harness';

const code = lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 })');

describe('EnhancedLambdaFunction with default props', () => {
  let stack: Stack;
  let fn: EnhancedLambdaFunction;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    fn = new EnhancedLambdaFunction(stack, 'Orders', { code });
    const table = new dynamodb.TableV2(stack, 'Table', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    table.grantReadData(fn);
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('runs Node.js 24 on ARM64 with active tracing and JSON logs', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'INFO' }),
      MemorySize: 256,
      Timeout: 30,
      KmsKeyArn: Match.anyValue(),
      DeadLetterConfig: { TargetArn: Match.anyValue() },
    });
  });

  test('sets the Powertools environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: { POWERTOOLS_SERVICE_NAME: 'Orders', POWERTOOLS_METRICS_NAMESPACE: 'Orders', POWERTOOLS_LOG_LEVEL: 'INFO' },
      },
    });
  });

  test('logs to its own KMS-encrypted log group with prod retention, retained', () => {
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { KmsKeyId: Match.anyValue(), RetentionInDays: 365 },
      DeletionPolicy: 'Retain',
    });
  });

  test('role has no AWS managed policy and no inline policy; grants land in its customer-managed policy', () => {
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent(), Policies: Match.absent() });
    template.resourceCountIs('AWS::IAM::Policy', 0);
    const policies = template.findResources('AWS::IAM::ManagedPolicy');
    const statements = Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((s: any) => [].concat(s.Action));
    expect(actions).toEqual(expect.arrayContaining([
      'logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTraceSegments', 'sqs:SendMessage', 'dynamodb:GetItem', 'kms:Decrypt',
    ]));
    expect(actions.filter((a: string) => a.endsWith('*') && !a.startsWith('kms:'))).toEqual([]);
  });

  test('has an encrypted, TLS-only dead-letter queue', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue(), MessageRetentionPeriod: 1209600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('publishes no version or alias by default: callers invoke the function itself', () => {
    template.resourceCountIs('AWS::Lambda::Alias', 0);
    template.resourceCountIs('AWS::Lambda::Version', 0);
    expect(fn.liveAlias).toBeUndefined();
    expect(fn.invocationTarget).toBe(fn.function);
  });

  test.each([
    ['liveAliasEnabled', { liveAliasEnabled: true }, 'live'],
    ['an alias name', { aliasName: 'blue' }, 'blue'],
    ['provisioned concurrency', { provisionedConcurrentExecutions: 2 }, 'live'],
  ])('publishes a version and a live alias, which callers then invoke, when given %s', (_name, extra, aliasName) => {
    const s = testStack();
    const withAlias = new EnhancedLambdaFunction(s, 'Orders', { code, ...extra });
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::Lambda::Version', 1);
    t.hasResourceProperties('AWS::Lambda::Alias', { Name: aliasName });
    expect(withAlias.liveAlias?.aliasName).toBe(aliasName);
    expect(withAlias.invocationTarget).toBe(withAlias.liveAlias);
  });

  test('alarms on errors, throttles, p99 duration at 80% of the timeout and DLQ depth', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors', Threshold: 1 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Throttles', Threshold: 1 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Duration', ExtendedStatistic: 'p99', Threshold: 24000 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1 });
    expect(fn.alarms.alarms).toHaveLength(4);
  });
});

describe('EnhancedLambdaFunction with a rich configuration', () => {
  let stack: Stack;
  let fn: EnhancedLambdaFunction;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    EnvironmentConfig.dev().applyTo(stack);
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-12345678',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      privateSubnetIds: ['subnet-aaaaaaaa', 'subnet-bbbbbbbb'],
    });
    const alarms = new AlarmSet(stack, 'Shared');
    fn = new EnhancedLambdaFunction(stack, 'Worker', {
      entry: path.join(__dirname, '..', 'fixtures', 'hello.lambda.ts'),
      vpc,
      memorySize: 1024,
      timeout: Duration.seconds(120),
      reservedConcurrentExecutions: 10,
      provisionedConcurrentExecutions: 2,
      serviceName: 'worker',
      metricsNamespace: 'CloudVault',
      logLevel: LogLevel.WARN,
      environment: { TABLE_NAME: 'files' },
      alarms,
      alarmOptions: { errorsThreshold: 5 },
      tags: { Component: 'worker' },
    });
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('sits in the VPC with a dedicated security group that only allows HTTPS out', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SubnetIds: ['subnet-aaaaaaaa', 'subnet-bbbbbbbb'], SecurityGroupIds: [Match.anyValue()] },
      ReservedConcurrentExecutions: 10,
      Handler: 'index.handler',
      Environment: { Variables: Match.objectLike({ TABLE_NAME: 'files', POWERTOOLS_SERVICE_NAME: 'worker', POWERTOOLS_METRICS_NAMESPACE: 'CloudVault', POWERTOOLS_LOG_LEVEL: 'WARN' }) },
      Tags: Match.arrayWith([{ Key: 'Component', Value: 'worker' }]),
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupEgress: [Match.objectLike({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' })],
    });
  });

  test('gets ENI permissions without the AWS managed VPC policy', () => {
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'ManageVpcNetworkInterfaces', Resource: '*' })]) },
    });
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });

  test('puts provisioned concurrency on the live alias', () => {
    template.hasResourceProperties('AWS::Lambda::Alias', { Name: 'live', ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 } });
  });

  test('uses the dev profile: one-month retention, destroyed with the stack', () => {
    template.hasResource('AWS::Logs::LogGroup', { Properties: Match.objectLike({ RetentionInDays: 30 }), DeletionPolicy: 'Delete' });
  });

  test('adds its alarms to the given AlarmSet with the given thresholds', () => {
    expect(fn.alarms.node.id).toBe('Shared');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors', Threshold: 5 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Duration', Threshold: 96000 });
  });
});

describe('EnhancedLambdaFunction bundles the AWS SDK v3 into an entry\'s asset by default', () => {
  // The only tests that run esbuild (bundling-stacks ['**']): what the asset holds is the behaviour.
  const entry = path.join(__dirname, '..', 'fixtures', 'sdk-client.lambda.ts');
  function assetOf(bundling?: nodejs.BundlingOptions): { bundle: string; hash: string; template: Template } {
    const app = testApp({ context: { 'aws:cdk:bundling-stacks': ['**'] } });
    const stack = testStack(app);
    new EnhancedLambdaFunction(stack, 'Fn', { entry, bundling });
    const dir = app.synth().directory;
    const assets = readdirSync(dir).filter((d) => d.startsWith('asset.') && existsSync(path.join(dir, d, 'index.js')));
    expect(assets).toHaveLength(1);
    const bundle = readFileSync(path.join(dir, assets[0], 'index.js'), 'utf8');
    return { bundle, hash: assets[0].slice('asset.'.length), template: Template.fromStack(stack) };
  }

  test('by default the client is in the bundle, not required from the runtime', () => {
    const { bundle, hash, template } = assetOf();
    // Booleans, so a failure does not print the 300 KB bundle.
    expect(bundle.includes('require("@aws-sdk/client-dynamodb")')).toBe(false);
    expect(bundle.includes('https://dynamodb.{Region}.{PartitionResult#dnsSuffix}')).toBe(true); // the client's endpoint rules, bundled
    // The function deploys exactly this bundle.
    template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.handler', Code: { S3Key: `${hash}.zip` } });
  });

  test('bundleAwsSDK: false takes the SDK from the Lambda runtime instead', () => {
    const { bundle } = assetOf({ bundleAwsSDK: false });
    expect(bundle.includes('require("@aws-sdk/client-dynamodb")')).toBe(true);
    expect(bundle.includes('https://dynamodb.{Region}.{PartitionResult#dnsSuffix}')).toBe(false);
  });
});

describe('EnhancedLambdaFunction opt-outs stay nag-clean with acknowledged reasons', () => {
  test('without a dead-letter queue', () => {
    const stack = testStack();
    new EnhancedLambdaFunction(stack, 'Sync', { code, deadLetterQueueEnabled: false });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SQS::Queue', 0);
    template.hasResourceProperties('AWS::Lambda::Function', { DeadLetterConfig: Match.absent() });
    expectNagClean(stack);
  });

  test('with given security groups instead of the dedicated one', () => {
    const stack = testStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-1'] });
    const sg = ec2.SecurityGroup.fromSecurityGroupId(stack, 'Sg', 'sg-0123456789abcdef0');
    const fn = new EnhancedLambdaFunction(stack, 'InVpc', { code, vpc, securityGroups: [sg], reservedConcurrentExecutions: 1 });
    expect(fn.securityGroup).toBeUndefined();
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
    template.hasResourceProperties('AWS::Lambda::Function', { VpcConfig: { SecurityGroupIds: ['sg-0123456789abcdef0'], SubnetIds: ['subnet-1'] } });
    expectNagClean(stack);
  });

  test('with an existing dead-letter queue', () => {
    const stack = testStack();
    const queue = sqs.Queue.fromQueueArn(stack, 'Dlq', 'arn:aws:sqs:eu-west-1:123456789012:existing-dlq');
    const fn = new EnhancedLambdaFunction(stack, 'Async', { code, deadLetterQueue: queue });
    expect(fn.deadLetterQueue).toBe(queue);
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      DeadLetterConfig: { TargetArn: 'arn:aws:sqs:eu-west-1:123456789012:existing-dlq' },
    });
  });
});

describe('EnhancedLambdaFunction rejects invalid props', () => {
  const cases: Array<[string, Partial<EnhancedLambdaFunctionProps>, string]> = [
    ['timeout above 900 s', { code, timeout: Duration.seconds(901) }, 'EnhancedLambdaFunction "Fn" (Test/Fn): timeout must be 1-900 seconds, got "901 seconds"'],
    ['memory below 128 MB', { code, memorySize: 64 }, 'EnhancedLambdaFunction "Fn" (Test/Fn): memorySize must be an integer 128-10240, got 64'],
    ['both entry and code', { code, entry: 'x.ts' }, 'EnhancedLambdaFunction "Fn" (Test/Fn): entry/code must be exactly one of entry (bundled at synth) and code (prebuilt), got "x.ts"'],
    ['neither entry nor code', {}, 'EnhancedLambdaFunction "Fn" (Test/Fn): entry/code must be exactly one of entry (bundled at synth) and code (prebuilt), got undefined'],
    ['a missing entry file', { entry: '/nope/handler.ts' }, 'EnhancedLambdaFunction "Fn" (Test/Fn): entry must be an existing file, got "/nope/handler.ts"'],
    ['negative reserved concurrency', { code, reservedConcurrentExecutions: -1 }, 'EnhancedLambdaFunction "Fn" (Test/Fn): reservedConcurrentExecutions must be a number >= 0, got -1'],
    ['provisioned above reserved', { code, reservedConcurrentExecutions: 2, provisionedConcurrentExecutions: 5 },
      'EnhancedLambdaFunction "Fn" (Test/Fn): provisionedConcurrentExecutions must be at most reservedConcurrentExecutions (2), got 5'],
    ['a reserved environment key', { code, environment: { AWS_REGION: 'x' } }, 'EnhancedLambdaFunction "Fn" (Test/Fn): environment key must be a letter followed by letters, digits or "_", not reserved by Lambda (AWS_*, _HANDLER, TZ, ...), got "AWS_REGION"'],
    ['security groups without a VPC', { code, securityGroups: [{} as ec2.ISecurityGroup] },
      'EnhancedLambdaFunction "Fn" (Test/Fn): securityGroups must be at least one group, given together with vpc, got "1 group(s)"'],
    ['provisioned concurrency with the alias turned off', { code, liveAliasEnabled: false, provisionedConcurrentExecutions: 1 },
      'EnhancedLambdaFunction "Fn" (Test/Fn): provisionedConcurrentExecutions must be unset when liveAliasEnabled is false (provisioned concurrency sits on the live alias), got 1'],
    ['an alias name with the alias turned off', { code, liveAliasEnabled: false, aliasName: 'blue' },
      'EnhancedLambdaFunction "Fn" (Test/Fn): aliasName must be unset when liveAliasEnabled is false, got "blue"'],
    ['a DLQ with the DLQ turned off', { code, deadLetterQueueEnabled: false, deadLetterQueue: {} as sqs.IQueue },
      'EnhancedLambdaFunction "Fn" (Test/Fn): deadLetterQueue must be omitted when deadLetterQueueEnabled is false, got "a queue"'],
  ];
  test.each(cases)('%s', (_name, props, message) => {
    const stack = testStack(testApp());
    expect(() => new EnhancedLambdaFunction(stack, 'Fn', props as EnhancedLambdaFunctionProps)).toThrow(message);
  });
});
