import { App, CfnWaitConditionHandle, Stack, Stage, aws_codebuild as codebuild, aws_kms as kms, aws_s3_assets as assets, aws_sns as sns } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EnvironmentConfig, EnvironmentName } from '../../src';
import { DeliveryPipeline, DeliveryPipelineProps } from '../../src/delivery';
import { expectNagClean, testApp, testStack } from '../support/nag-harness';
import { testKey } from '../support/test-key';

const CONNECTION_ARN = 'arn:aws:codeconnections:eu-west-1:123456789012:connection/12345678-1234-1234-1234-123456789012';
const env = { account: '123456789012', region: 'eu-west-1' };

/** A stage with one stack that has a file asset, so the pipeline publishes assets. */
function appStage(app: App, name: string, config: EnvironmentConfig = EnvironmentConfig.fromName(name)): Stage {
  const stage = new Stage(app, `CloudVault-${name}`, { env });
  const stack = new Stack(stage, 'Core');
  config.applyTo(stack);
  new assets.Asset(stack, 'Handler', { path: __filename });
  new CfnWaitConditionHandle(stack, 'Resource');
  return stage;
}

function buildSpec(template: Template, projectIdPart: string): any {
  const projects = template.findResources('AWS::CodeBuild::Project');
  const [, project] = Object.entries(projects).find(([id]) => id.includes(projectIdPart))! as [string, any];
  return JSON.parse(project.Properties.Source.BuildSpec);
}

function pipelineStages(template: Template): any[] {
  const pipeline = Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0] as any;
  return pipeline.Properties.Stages;
}

function policyStatements(template: Template): any[] {
  return [
    ...Object.values(template.findResources('AWS::IAM::ManagedPolicy')),
    ...Object.values(template.findResources('AWS::IAM::Policy')),
  ].flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

describe('DeliveryPipeline with default props', () => {
  let app: App;
  let stack: Stack;
  let delivery: DeliveryPipeline;
  let stages: Record<string, Stage>;
  let template: Template;
  beforeAll(() => {
    app = testApp();
    stack = testStack(app, 'Pipeline');
    delivery = new DeliveryPipeline(stack, 'Delivery', { repository: 'acme/cloudvault', connectionArn: CONNECTION_ARN });
    stages = {};
    for (const name of [EnvironmentName.DEV, EnvironmentName.STAGING, EnvironmentName.PROD]) {
      stages[name] = appStage(app, name);
      delivery.addEnvironment(name, stages[name]);
    }
    delivery.buildPipeline();
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('is a CodePipeline V2 with an encrypted artifact store', () => {
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      PipelineType: 'V2',
      ArtifactStore: {
        Type: 'S3',
        Location: { Ref: stack.getLogicalId(delivery.artifactBucket.bucket.node.defaultChild as any) },
        EncryptionKey: { Type: 'KMS', Id: { 'Fn::GetAtt': [stack.getLogicalId(delivery.artifactKey.node.defaultChild as any), 'Arn'] } },
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('artifact bucket is a SecureBucket: KMS, access logs, versioning, TLS only', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() } })] },
      LoggingConfiguration: Match.objectLike({ DestinationBucketName: Match.anyValue() }),
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });

  test('sources main of the GitHub repository through the connection', () => {
    const [source] = pipelineStages(template);
    expect(source.Name).toBe('Source');
    expect(source.Actions).toEqual([expect.objectContaining({
      ActionTypeId: expect.objectContaining({ Provider: 'CodeStarSourceConnection' }),
      Configuration: expect.objectContaining({ ConnectionArn: CONNECTION_ARN, FullRepositoryId: 'acme/cloudvault', BranchName: 'main' }),
    })]);
  });

  test('builds, then runs the security step, before self-mutation, assets and deployments', () => {
    const names = pipelineStages(template).map((s) => s.Name);
    expect(names).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', 'CloudVault-dev', 'CloudVault-staging', 'CloudVault-prod']);
    const build = pipelineStages(template)[1];
    expect(build.Actions.map((a: any) => [a.Name, a.RunOrder])).toEqual([['Synth', 1], ['Security', 2]]);
  });

  test('synth step installs, runs the tests and synthesizes on Node.js 20', () => {
    const spec = buildSpec(template, 'BuildSynth');
    expect(spec.phases.install).toEqual({ 'runtime-versions': { nodejs: '20' }, 'commands': ['npm ci'] });
    expect(spec.phases.build.commands).toEqual(['npm test', 'npx cdk synth']);
    expect(spec.artifacts['base-directory']).toBe('cdk.out');
  });

  test('security step audits dependencies and fails on any finding of the cdk-nag report', () => {
    const spec = buildSpec(template, 'BuildSecurity');
    const [audit, report, cleanup] = spec.phases.build.commands;
    expect(audit).toBe('(cd source && npm audit --audit-level=high)');
    expect(report).toMatch(/^node -e '.*validation-report\.json.*process\.exit\(1\).*'$/);
    expect(cleanup).toBe('rm source');
    expect(spec.artifacts['base-directory']).toBe('.');
  });

  test('every CodeBuild project: managed image, no privileged mode, artifact key, encrypted log group', () => {
    const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(delivery.artifactKey.node.defaultChild as any), 'Arn'] };
    const projects = Object.values(template.findResources('AWS::CodeBuild::Project')) as any[];
    expect(projects.length).toBe(4); // synth, security, self-mutation, file assets
    for (const p of projects) {
      expect(p.Properties.Environment).toEqual(expect.objectContaining({ Image: 'aws/codebuild/standard:7.0', PrivilegedMode: false }));
      expect(p.Properties.EncryptionKey).toEqual(keyArn);
      expect(p.Properties.LogsConfig.CloudWatchLogs.GroupName).toEqual({ Ref: stack.getLogicalId(delivery.buildLogGroup.node.defaultChild as any) });
    }
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: keyArn, RetentionInDays: 365 });
  });

  test('no manual approval before dev and staging; one before the prod deployment', () => {
    const byName = Object.fromEntries(pipelineStages(template).map((s) => [s.Name, s.Actions]));
    expect(byName['CloudVault-dev'].some((a: any) => a.ActionTypeId.Category === 'Approval')).toBe(false);
    expect(byName['CloudVault-staging'].some((a: any) => a.ActionTypeId.Category === 'Approval')).toBe(false);
    const prod = byName['CloudVault-prod'];
    const approval = prod.find((a: any) => a.ActionTypeId.Category === 'Approval');
    const topicRef = { Ref: stack.getLogicalId(delivery.topic.node.defaultChild as any) };
    expect(approval.Configuration).toEqual(expect.objectContaining({ NotificationArn: topicRef }));
    const deploys = prod.filter((a: any) => a.ActionTypeId.Category === 'Deploy');
    expect(deploys.length).toBeGreaterThan(0);
    expect(Math.min(...deploys.map((a: any) => a.RunOrder))).toBeGreaterThan(approval.RunOrder);
  });

  test('prod stacks, and only they, get termination protection', () => {
    const assembly = app.synth();
    const protection = (name: string) => assembly.getNestedAssembly(`assembly-CloudVault-${name}`).stacks.map((s) => s.terminationProtection);
    expect(protection('prod')).toEqual([true]);
    expect(protection('staging')).toEqual([false]);
    expect(protection('dev')).toEqual([false]);
  });

  test('pipeline failures go to a KMS-encrypted, TLS-only topic the notification service may use', () => {
    const topicRef = { Ref: stack.getLogicalId(delivery.topic.node.defaultChild as any) };
    template.hasResourceProperties('AWS::CodeStarNotifications::NotificationRule', {
      EventTypeIds: ['codepipeline-pipeline-pipeline-execution-failed'],
      Targets: [{ TargetType: 'SNS', TargetAddress: topicRef }],
      DetailType: 'FULL',
    });
    expect(delivery.notificationRule).toBeDefined();
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Action: 'sns:Publish', Principal: { Service: 'codestar-notifications.amazonaws.com' } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'AllowCodeStarNotificationsToPublish',
          Principal: { Service: 'codestar-notifications.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Condition: { StringEquals: { 'kms:ViaService': 'sns.eu-west-1.amazonaws.com' } },
        })]),
      },
    });
  });

  test('pipeline and build roles keep their permissions in customer-managed policies', () => {
    for (const role of [delivery.pipelineRole]) {
      const cfn = template.toJSON().Resources[stack.getLogicalId(role.node.defaultChild as any)];
      expect(cfn.Properties.Policies).toBeUndefined();
    }
    // Only the framework roles (self-mutation, asset publishing) have inline policies.
    const inline = Object.keys(template.findResources('AWS::IAM::Policy'));
    expect(inline.sort()).toEqual([expect.stringMatching(/AssetsFileRoleDefaultPolicy/), expect.stringMatching(/SelfMutationRoleDefaultPolicy/)]);
  });

  test('IAM: the connection and the deploy role are named exactly; wildcard actions are only the L2 artifact grants', () => {
    const statements = policyStatements(template);
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: 'codestar-connections:UseConnection', Resource: CONNECTION_ARN }),
      expect.objectContaining({ Action: 'sts:AssumeRole', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::123456789012:role/cdk-hnb659fds-deploy-role-123456789012-eu-west-1']] } }),
    ]));
    const wildcardActions = new Set(statements.flatMap((s) => [].concat(s.Action)).filter((a: string) => a.includes('*')));
    expect([...wildcardActions].sort()).toEqual(['kms:GenerateDataKey*', 'kms:ReEncrypt*', 's3:Abort*', 's3:DeleteObject*', 's3:GetBucket*', 's3:GetObject*', 's3:List*']);
  });
});

describe('DeliveryPipeline with a rich configuration', () => {
  let app: App;
  let stack: Stack;
  let delivery: DeliveryPipeline;
  let key: kms.Key;
  let topic: sns.Topic;
  let template: Template;
  beforeAll(() => {
    app = testApp();
    stack = testStack(app, 'Pipeline');
    key = testKey(stack, 'Key', { enableKeyRotation: true });
    topic = new sns.Topic(stack, 'Ops', { masterKey: key, enforceSSL: true });
    delivery = new DeliveryPipeline(stack, 'Delivery', {
      repository: 'acme-corp/cloud.vault',
      branch: 'release/v2.1',
      connectionArn: 'arn:aws:codestar-connections:eu-west-1:123456789012:connection/abcdef01-2345-6789-abcd-ef0123456789',
      pipelineName: 'cloudvault-delivery',
      installCommands: ['npm ci --ignore-scripts'],
      testCommands: ['npx projen test'],
      synthCommands: ['npx projen cloudvault', 'cp -r cdk.out.cloudvault cdk.out'],
      auditCommands: ['npm audit --audit-level=moderate --omit=dev'],
      nodeVersion: '22',
      buildImage: codebuild.LinuxBuildImage.STANDARD_8_0,
      computeType: codebuild.ComputeType.LARGE,
      encryptionKey: key,
      notificationTopic: topic,
      selfMutation: false,
    });
    delivery.addEnvironment(EnvironmentName.STAGING, appStage(app, 'staging'), { approvalRequired: true });
    delivery.addEnvironment(EnvironmentName.PROD, appStage(app, 'prod'));
    const second = new Stage(app, 'CloudVault-prod-us', { env: { account: '123456789012', region: 'eu-west-1' } });
    new CfnWaitConditionHandle(new Stack(second, 'Core'), 'Resource');
    delivery.addEnvironment(EnvironmentName.PROD, second);
    delivery.buildPipeline();
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('uses the given key and topic instead of creating them', () => {
    expect(delivery.artifactKey).toBe(key);
    expect(delivery.topic).toBe(topic);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::CodeStarNotifications::NotificationRule', {
      Targets: [{ TargetType: 'SNS', TargetAddress: { Ref: stack.getLogicalId(topic.node.defaultChild as any) } }],
    });
  });

  test('names the pipeline and sources the given branch', () => {
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', { Name: 'cloudvault-delivery', PipelineType: 'V2' });
    const [source] = pipelineStages(template);
    expect(source.Actions[0].Configuration).toEqual(expect.objectContaining({
      FullRepositoryId: 'acme-corp/cloud.vault',
      BranchName: 'release/v2.1',
      ConnectionArn: 'arn:aws:codestar-connections:eu-west-1:123456789012:connection/abcdef01-2345-6789-abcd-ef0123456789',
    }));
  });

  test('runs the given commands on the given image, Node.js version and compute type', () => {
    const spec = buildSpec(template, 'BuildSynth');
    expect(spec.phases.install).toEqual({ 'runtime-versions': { nodejs: '22' }, 'commands': ['npm ci --ignore-scripts'] });
    expect(spec.phases.build.commands).toEqual(['npx projen test', 'npx projen cloudvault', 'cp -r cdk.out.cloudvault cdk.out']);
    expect(buildSpec(template, 'BuildSecurity').phases.build.commands[0]).toBe('(cd source && npm audit --audit-level=moderate --omit=dev)');
    template.hasResourceProperties('AWS::CodeBuild::Project', {
      Environment: Match.objectLike({ Image: 'aws/codebuild/standard:8.0', ComputeType: 'BUILD_GENERAL1_LARGE', PrivilegedMode: false }),
    });
  });

  test('has no self-mutation stage', () => {
    expect(pipelineStages(template).map((s) => s.Name)).toEqual(['Source', 'Build', 'Assets', 'CloudVault-staging', 'prod']);
  });

  test('gates staging when asked, and prod once for both prod stages', () => {
    const byName = Object.fromEntries(pipelineStages(template).map((s) => [s.Name, s.Actions]));
    expect(byName['CloudVault-staging'].filter((a: any) => a.ActionTypeId.Category === 'Approval')).toHaveLength(1);
    expect(byName.prod.filter((a: any) => a.ActionTypeId.Category === 'Approval')).toHaveLength(1);
  });

  test('the given key gets the service statements it needs', () => {
    // In any order: the log group's statement is added when the group is made.
    const [keyResource] = Object.values(template.findResources('AWS::KMS::Key'));
    expect(keyResource.Properties.KeyPolicy.Statement.map((st: { Sid?: string }) => st.Sid)).toEqual(expect.arrayContaining([
      'AllowCloudWatchLogsForThisAccount', 'AllowCloudWatchAlarmsToPublish', 'AllowCodeStarNotificationsToPublish',
    ]));
  });
});

test('DeliveryPipeline builds itself, with its notification rule, when the caller does not', () => {
  const app = testApp();
  const stack = testStack(app, 'Pipeline');
  const delivery = new DeliveryPipeline(stack, 'Delivery', { repository: 'acme/cloudvault', connectionArn: CONNECTION_ARN });
  delivery.addEnvironment(EnvironmentName.DEV, appStage(app, 'dev'));
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::CodePipeline::Pipeline', 1);
  template.resourceCountIs('AWS::CodeStarNotifications::NotificationRule', 1);
});

describe('DeliveryPipeline rejects invalid props', () => {
  const base: DeliveryPipelineProps = { repository: 'acme/cloudvault', connectionArn: CONNECTION_ARN };
  const cases: Array<[string, Partial<DeliveryPipelineProps>, string]> = [
    ['a GitHub token instead of a connection ARN', { connectionArn: 'ghp_abc123' },
      'DeliveryPipeline "Delivery" (Pipeline/Delivery): connectionArn must be a connection ARN, arn:aws:codeconnections:<region>:<account>:connection/<uuid> (or codestar-connections), got "ghp_abc123"'],
    ['a connection ARN of another service', { connectionArn: 'arn:aws:codecommit:eu-west-1:123456789012:connection/12345678-1234-1234-1234-123456789012' },
      'DeliveryPipeline "Delivery" (Pipeline/Delivery): connectionArn must be a connection ARN'],
    ['a repository URL', { repository: 'https://github.com/acme/cloudvault' },
      'DeliveryPipeline "Delivery" (Pipeline/Delivery): repository must be a GitHub repository as "owner/name", got "https://github.com/acme/cloudvault"'],
    ['a repository without owner', { repository: 'cloudvault' }, 'DeliveryPipeline "Delivery" (Pipeline/Delivery): repository must be a GitHub repository as "owner/name", got "cloudvault"'],
    ['a branch with a space', { branch: 'my branch' }, 'DeliveryPipeline "Delivery" (Pipeline/Delivery): branch must be a valid git branch name'],
    ['a branch with ".."', { branch: 'feature..x' }, 'got "feature..x"'],
    ['a branch starting with "-"', { branch: '-main' }, 'got "-main"'],
    ['a branch ending with ".lock"', { branch: 'main.lock' }, 'got "main.lock"'],
    ['a branch ending with "/"', { branch: 'release/' }, 'got "release/"'],
    ['a pipeline name with a space', { pipelineName: 'my pipeline' },
      'DeliveryPipeline "Delivery" (Pipeline/Delivery): pipelineName must be 1-100 letters, digits, ".", "@", "_" or "-", got "my pipeline"'],
    ['a Node.js version word', { nodeVersion: 'latest' }, 'DeliveryPipeline "Delivery" (Pipeline/Delivery): nodeVersion must be a Node.js major version such as "20" or "22", got "latest"'],
    ['no test command', { testCommands: [] }, 'DeliveryPipeline "Delivery" (Pipeline/Delivery): testCommands must be at least one command, got "[]"'],
    ['no audit command', { auditCommands: [] }, 'DeliveryPipeline "Delivery" (Pipeline/Delivery): auditCommands must be at least one command, got "[]"'],
  ];
  test.each(cases)('%s', (_name, props, message) => {
    const stack = testStack(testApp(), 'Pipeline');
    expect(() => new DeliveryPipeline(stack, 'Delivery', { ...base, ...props })).toThrow(message);
  });

  describe('addEnvironment', () => {
    let app: App;
    let delivery: DeliveryPipeline;
    beforeEach(() => {
      app = testApp();
      delivery = new DeliveryPipeline(testStack(app, 'Pipeline'), 'Delivery', base);
    });

    test('environments out of order', () => {
      delivery.addEnvironment(EnvironmentName.PROD, appStage(app, 'prod'));
      expect(() => delivery.addEnvironment(EnvironmentName.DEV, appStage(app, 'dev'))).toThrow(
        'DeliveryPipeline "Delivery" (Pipeline/Delivery): environment name must be added in the order dev -> staging -> prod (prod was added already), got "dev"');
    });

    test('an unknown environment name', () => {
      expect(() => delivery.addEnvironment('qa' as EnvironmentName, appStage(app, 'dev'))).toThrow(
        'DeliveryPipeline "Delivery" (Pipeline/Delivery): environment name must be one of dev, staging, prod, got "qa"');
    });

    test('prod without approval', () => {
      expect(() => delivery.addEnvironment(EnvironmentName.PROD, appStage(app, 'prod'), { approvalRequired: false })).toThrow(
        'DeliveryPipeline "Delivery" (Pipeline/Delivery): approvalRequired must be true for prod (a manual approval always gates prod), got false');
    });

    test('a prod stage built with the dev profile', () => {
      expect(() => delivery.addEnvironment(EnvironmentName.PROD, appStage(app, 'prod', EnvironmentConfig.dev()))).toThrow(
        'DeliveryPipeline "Delivery" (Pipeline/Delivery): EnvironmentConfig of stack CloudVault-prod/Core must be prod in the prod environment, got "dev"');
    });
  });
});
