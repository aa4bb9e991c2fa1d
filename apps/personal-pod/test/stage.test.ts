import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EnvironmentConfig } from '../../../src';
import { formatFindings, nagFindings, testApp } from '../../../test/support/nag-harness';
import { PersonalPod } from '../infra/personal-pod-stage';
import { APP_DB_USER, ROUTES } from '../infra/routes';

const env = { account: '123456789012', region: 'eu-west-1' };

describe.each([
  ['dev', EnvironmentConfig.dev()],
  ['prod', EnvironmentConfig.prod()],
])('PersonalPod stage, %s profile', (name, profile) => {
  let stage: PersonalPod;
  const templates = new Map<Stack, Template>();
  const t = (stack: Stack) => templates.get(stack)!;
  const functionEnv = (service: string) => Object.values(t(stage.api).findResources('AWS::Lambda::Function'))
    .map((f) => f.Properties.Environment?.Variables ?? {}).find((v) => v.POWERTOOLS_SERVICE_NAME === service)!;

  beforeAll(() => {
    const app = testApp();
    stage = new PersonalPod(app, `PersonalPod-${name}`, { profile, env });
    app.synth();
    for (const stack of stage.stacks) templates.set(stack, Template.fromStack(stack));
  });

  test('every stack is nag-clean under the five packs and the Control Tower rules', () => {
    const findings = stage.stacks.flatMap((stack) => nagFindings(stack));
    expect(formatFindings(findings)).toBe('');
  });

  test('stacks split by lifecycle', () => {
    expect(stage.stacks.map((s) => s.stackName)).toEqual(['Network', 'Security', 'Data', 'Api', 'Monitoring'].map((s) => `PersonalPod-${name}-${s}`));
  });

  test('Aurora Serverless v2 behind an RDS Proxy with IAM auth and TLS, backed up by a backup plan', () => {
    const data = t(stage.data);
    data.hasResourceProperties('AWS::RDS::DBCluster', { Engine: 'aurora-postgresql', StorageEncrypted: true, EnableIAMDatabaseAuthentication: true, DatabaseName: 'personal_pod' });
    data.hasResourceProperties('AWS::RDS::DBProxy', { RequireTLS: true, EngineFamily: 'POSTGRESQL', DefaultAuthScheme: 'IAM_AUTH' });
    data.resourceCountIs('AWS::Backup::BackupPlan', 1);
    expect(Object.keys(data.findResources('AWS::Backup::BackupSelection')).length).toBeGreaterThanOrEqual(1);
  });

  test('OpenSearch in the VPC: encrypted, HTTPS only, fine-grained access; 3 AZs with dedicated masters in prod', () => {
    const data = t(stage.data);
    data.hasResourceProperties('AWS::OpenSearchService::Domain', {
      EncryptionAtRestOptions: { Enabled: true },
      NodeToNodeEncryptionOptions: { Enabled: true },
      DomainEndpointOptions: Match.objectLike({ EnforceHTTPS: true }),
      AdvancedSecurityOptions: Match.objectLike({ Enabled: true }),
      VPCOptions: Match.anyValue(),
      ClusterConfig: name === 'prod'
        ? Match.objectLike({ InstanceCount: 3, DedicatedMasterEnabled: true, ZoneAwarenessEnabled: true })
        : Match.objectLike({ InstanceCount: 1 }),
    });
  });

  test('every REST route is authorized by Cognito and served by its own handler', () => {
    const api = t(stage.api);
    const methods = Object.values(api.findResources('AWS::ApiGateway::Method')).filter((m) => m.Properties.HttpMethod !== 'OPTIONS');
    expect(methods).toHaveLength(ROUTES.length);
    for (const m of methods) expect(m.Properties.AuthorizationType).toBe('COGNITO_USER_POOLS');
  });

  test('the functions connect through the proxy with IAM tokens; entries publish notifications and post to connections', () => {
    expect(functionEnv('entries')).toMatchObject({ DB_IAM_AUTH: 'true', DB_PORT: '5432', DB_USER: APP_DB_USER, DB_NAME: 'personal_pod' });
    expect(functionEnv('entries').NOTIFICATIONS_TOPIC_ARN).toBeDefined();
    expect(functionEnv('entries').WS_CALLBACK_URL).toBeDefined();
    expect(functionEnv('indexer').SEARCH_ENDPOINT).toBeDefined();
    expect(functionEnv('search').SEARCH_INDEX).toBe('entries');
    expect(functionEnv('migrate')).toMatchObject({ DB_USER: 'dbadmin' });
    const api = t(stage.api);
    const actions = Object.values(api.findResources('AWS::IAM::ManagedPolicy'))
      .flatMap((p) => (p.Properties.PolicyDocument.Statement as any[]).flatMap((s) => [].concat(s.Action)));
    expect(actions).toEqual(expect.arrayContaining(['rds-db:connect', 'execute-api:ManageConnections', 'sns:Publish', 'es:ESHttpGet', 'es:ESHttpPut']));
    for (const fn of Object.values(api.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    }
  });

  test('the indexing queue feeds the indexer with partial batch failures and has a dead-letter queue', () => {
    const api = t(stage.api);
    api.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionResponseTypes: ['ReportBatchItemFailures'] });
    api.hasResourceProperties('AWS::SQS::Queue', { RedrivePolicy: Match.objectLike({ maxReceiveCount: Match.anyValue() }) });
  });

  test('background jobs: an encrypted SNS topic delivers raw to the index queue; entries and the attachment processor publish to it', () => {
    const api = t(stage.api);
    api.resourceCountIs('AWS::SNS::Topic', 1);
    api.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    api.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'sqs', RawMessageDelivery: true, RedrivePolicy: Match.anyValue() });
    const topic = stage.api.indexQueue.topic!;
    for (const service of ['entries', 'attachment-processor']) {
      expect(stage.api.resolve(functionEnv(service).NOTIFICATIONS_TOPIC_ARN)).toEqual(stage.api.resolve(topic.topicArn));
    }
  });

  test('attachments: an encrypted, versioned files bucket with EventBridge on; uploads under attachments/ go to the processor', () => {
    const data = t(stage.data);
    data.hasResourceProperties('AWS::S3::Bucket', {
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) })] },
    });
    const api = t(stage.api);
    api.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ 'source': ['aws.s3'], 'detail-type': ['Object Created'], 'detail': Match.objectLike({ object: { key: [{ prefix: 'attachments/' }] } }) }),
    });
    expect(functionEnv('attachment-processor').FILES_BUCKET).toBeDefined();
    expect(functionEnv('attachments').FILES_BUCKET).toBeDefined();
    const processor = Object.values(api.findResources('AWS::Lambda::Function')).find((f) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'attachment-processor')!;
    expect(processor.Properties.MemorySize).toBe(2048);
  });

  test('the WebSocket API authorizes $connect with the token from the query string', () => {
    const api = t(stage.api);
    api.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerType: 'REQUEST', IdentitySource: ['route.request.querystring.token'] });
    api.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$connect', AuthorizationType: 'CUSTOM' });
  });

  test('a dashboard over the alarms', () => {
    t(stage.monitoring).resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(Object.keys(t(stage.api).findResources('AWS::CloudWatch::Alarm')).length).toBeGreaterThan(10);
  });
});
