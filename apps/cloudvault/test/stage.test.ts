import { readFileSync, readdirSync } from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EnvironmentConfig } from '../../../src';
import { formatFindings, nagFindings, testApp } from '../../../test/support/nag-harness';
import { USER_POOL_LOGICAL_IDS } from '../infra/api-stack';
import { CloudVault } from '../infra/cloudvault-stage';
import { CloudVaultPipelineStack } from '../infra/pipeline-stack';
import { ROUTES } from '../infra/routes';

const env = { account: '123456789012', region: 'eu-west-1' };
const HANDLERS = path.join(__dirname, '..', 'handlers');

function synthStage(profile: EnvironmentConfig): CloudVault {
  const app = testApp();
  const stage = new CloudVault(app, `CloudVault-${profile.environment}`, { profile, env, alarmEmail: 'ops@example.com', monthlyBudget: 250 });
  app.synth();
  return stage;
}

describe.each([
  ['dev', EnvironmentConfig.dev()],
  ['prod', EnvironmentConfig.prod()],
])('CloudVault stage, %s profile', (name, profile) => {
  let stage: CloudVault;
  const templates = new Map<Stack, Template>();
  const t = (stack: Stack) => templates.get(stack)!;

  beforeAll(() => {
    stage = synthStage(profile);
    for (const stack of stage.stacks) templates.set(stack, Template.fromStack(stack));
  });

  test('every stack is nag-clean under the five packs', () => {
    const findings = stage.stacks.flatMap((stack) => nagFindings(stack));
    expect(formatFindings(findings)).toBe('');
  });

  test('stacks split by lifecycle', () => {
    expect(stage.stacks.map((s) => s.stackName)).toEqual(
      ['Network', 'Security', 'Data', 'Events', 'Api', 'Monitoring', 'Recovery', 'Cost'].map((s) => `CloudVault-${name}-${s}`));
  });

  test('Cognito: e-mail sign-in, strong passwords, MFA optional outside prod and required in prod, threat protection, groups', () => {
    const api = t(stage.api);
    api.hasResourceProperties('AWS::Cognito::UserPool', {
      UsernameAttributes: ['email'],
      MfaConfiguration: name === 'prod' ? 'ON' : 'OPTIONAL',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      Policies: { PasswordPolicy: { MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true } },
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      // The handlers read the tenant from the custom:tenantId claim.
      Schema: Match.arrayWith([Match.objectLike({ Name: 'tenantId', AttributeDataType: 'String', Mutable: false })]),
    });
    api.hasResourceProperties('AWS::Cognito::UserPoolClient', { WriteAttributes: ['email', 'name'] });
    // A new address counts only once verified; no OAuth flows (no implicit grant, no placeholder callback).
    api.hasResourceProperties('AWS::Cognito::UserPool', { UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] } });
    for (const client of Object.values(api.findResources('AWS::Cognito::UserPoolClient'))) {
      expect(client.Properties.AllowedOAuthFlows).toBeUndefined();
      expect(client.Properties.CallbackURLs).toBeUndefined();
    }
    // After each sign-in the user-sync handler writes the user's USER item (e-mail for notifications).
    api.hasResourceProperties('AWS::Cognito::UserPool', { LambdaConfig: { PostAuthentication: Match.anyValue() } });
    api.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'user-sync', TABLE_NAME: Match.anyValue() }) } });
    const groups = Object.values(api.findResources('AWS::Cognito::UserPoolGroup')).map((g) => [g.Properties.GroupName, g.Properties.Precedence]);
    expect(groups.sort()).toEqual([['admin', 0], ['member', 10]]);
  });

  test('the user pool (UserDirectory) keeps the logical ids and the settings it was created with', () => {
    const api = t(stage.api);
    // A changed logical id would create a new, empty pool; case sensitivity and GenerateSecret replace on change.
    expect(Object.keys(api.findResources('AWS::Cognito::UserPool'))).toEqual([USER_POOL_LOGICAL_IDS.userPool]);
    expect(Object.keys(api.findResources('AWS::Cognito::UserPoolClient'))).toEqual([USER_POOL_LOGICAL_IDS.webClient]);
    expect(Object.keys(api.findResources('AWS::Cognito::UserPoolGroup')).sort()).toEqual([USER_POOL_LOGICAL_IDS.admin, USER_POOL_LOGICAL_IDS.member].sort());
    expect(api.toJSON().Resources[USER_POOL_LOGICAL_IDS.userPool].Properties.UsernameConfiguration).toBeUndefined();
    expect(api.toJSON().Resources[USER_POOL_LOGICAL_IDS.webClient].Properties.GenerateSecret).toBeUndefined();
    expect(stage.api.users.userPool).toBe(stage.api.userPool);
    // Sign-in throttling of the web client alarms into the API stack's set; no custom domain unless configured.
    const metrics = Object.values(api.findResources('AWS::CloudWatch::Alarm')).filter((a) => a.Properties.Namespace === 'AWS/Cognito').map((a) => a.Properties.MetricName);
    expect(metrics.sort()).toEqual(['SignInThrottles', 'TokenRefreshThrottles']);
    api.resourceCountIs('AWS::ApiGateway::DomainName', 0);
  });

  test('the notifications function may write the table (its per-user rate counter)', () => {
    const policies = Object.entries(t(stage.api).findResources('AWS::IAM::ManagedPolicy')).filter(([id]) => /^NotificationsRolePolicy/.test(id));
    expect(policies.length).toBeGreaterThan(0);
    const actions = policies.flatMap(([, p]) => (p.Properties.PolicyDocument.Statement as any[]).flatMap((st) => [].concat(st.Action)));
    expect(actions).toContain('dynamodb:UpdateItem');
  });

  test('the public share route has its own method throttle and a WAF rate rule of its own', () => {
    const stageResource = Object.values(t(stage.api).findResources('AWS::ApiGateway::Stage'))[0];
    const settings = stageResource.Properties.MethodSettings as any[];
    const all = settings.find((m) => m.ResourcePath === '/*');
    expect(settings).toContainEqual({ ...all, ResourcePath: '/~1api~1shares~1{token}', HttpMethod: 'GET', ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 });
    const acl = Object.values(t(stage.security).findResources('AWS::WAFv2::WebACL'))[0];
    const rule = (acl.Properties.Rules as any[]).find((r) => r.Name === 'RateLimitPath0');
    expect(rule.Statement.RateBasedStatement).toMatchObject({ Limit: 100, ScopeDownStatement: { ByteMatchStatement: { SearchString: '/v1/api/shares/' } } });
  });

  test('the WAF lets through the body that completes the largest multipart upload (640 parts)', () => {
    const parts = Array.from({ length: 640 }, (_, i) => ({ partNumber: i + 1, etag: `"${'0123456789abcdef'.repeat(2)}"` }));
    const body = Buffer.byteLength(JSON.stringify({ version: 12, parts }));
    expect(body).toBeGreaterThan(8192);
    const acl = Object.values(t(stage.security).findResources('AWS::WAFv2::WebACL'))[0];
    const rule = (acl.Properties.Rules as any[]).find((r) => r.Name === 'BodySizeLimit');
    expect(rule.Statement.SizeConstraintStatement.Size).toBeGreaterThanOrEqual(body);
    expect(acl.Properties.AssociationConfig.RequestBody.API_GATEWAY.DefaultSizeInspectionLimit).toBe('KB_64');
  });

  test('the API is behind the security stack\'s WAF and the Cognito authorizer', () => {
    t(stage.api).hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      WebACLArn: { 'Fn::ImportValue': Match.stringLikeRegexp('Security') },
    });
    // Every route but health gets the Cognito authorizer of this pool.
    expect(stage.api.api.authorization.userPools).toEqual([stage.api.userPool]);
    // Every route of the route table, and only those, with the Cognito authorizer unless it is public.
    const api = t(stage.api);
    const resources = api.findResources('AWS::ApiGateway::Resource');
    const pathOf = (ref: any): string => {
      if (!ref?.Ref) return '';
      const r = resources[ref.Ref].Properties;
      return `${pathOf(r.ParentId)}/${r.PathPart}`;
    };
    const methods = Object.values(api.findResources('AWS::ApiGateway::Method')).map((m) => m.Properties).filter((m) => m.HttpMethod !== 'OPTIONS');
    const actual = methods.map((m) => `${m.HttpMethod} ${pathOf(m.ResourceId)} ${m.AuthorizationType}`).sort();
    const expected = ROUTES.map((r) => `${r.method} ${r.path} ${r.publicReason ? 'NONE' : 'COGNITO_USER_POOLS'}`).sort();
    expect(actual).toEqual(expected);
    expect(actual.filter((m) => m.endsWith(' NONE'))).toEqual(['GET /api/health NONE', 'GET /api/shares/{token} NONE']);
  });

  test('one function per API handler (and the sign-in trigger), each with the environment it needs and no wildcard actions', () => {
    const api = t(stage.api);
    const functions = Object.values(api.findResources('AWS::Lambda::Function')).map((f) => f.Properties.Environment?.Variables ?? {});
    const services = functions.map((v) => v.POWERTOOLS_SERVICE_NAME).filter(Boolean).sort();
    // ...plus the Cognito post-authentication trigger.
    expect(services).toEqual([...new Set<string>(ROUTES.map((r) => r.handler)), 'user-sync'].sort());
    const variables = (service: string) => Object.keys(functions.find((v) => v.POWERTOOLS_SERVICE_NAME === service)!);
    expect(variables('files')).toEqual(expect.arrayContaining(['TABLE_NAME', 'FILES_BUCKET']));
    expect(variables('notifications')).toEqual(expect.arrayContaining(['TABLE_NAME', 'NOTIFICATIONS_QUEUE_URL']));
    expect(variables('health')).not.toContain('TABLE_NAME');
    const actions = JSON.stringify(Object.values(api.findResources('AWS::IAM::ManagedPolicy')).map((p) => p.Properties.PolicyDocument));
    expect(actions).not.toMatch(/"(s3|dynamodb|sqs|kms):\*"/);
  });

  test('events: the fileProcessor gets object-created events of tenants/ keys; jobs and the notification queue run their handlers', () => {
    const events = t(stage.events);
    events.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        'source': ['aws.s3'],
        'detail-type': ['Object Created'],
        'detail': Match.objectLike({ object: { key: [{ prefix: 'tenants/' }] } }),
      }),
    });
    const crons = Object.values(events.findResources('AWS::Scheduler::Schedule')).map((s) => s.Properties.ScheduleExpression).sort();
    expect(crons).toEqual(['cron(0 3 * * ? *)', 'cron(15 1 * * ? *)']);
    events.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionResponseTypes: ['ReportBatchItemFailures'] });
    const sesTemplates = Object.values(events.findResources('AWS::SES::Template')).map((x) => x.Properties.Template.TemplateName).sort();
    expect(sesTemplates).toEqual(['share-created', 'upload-complete', 'quota-warning', 'generic'].map((n) => `CloudVault-${name}-Events-${n}`).sort());
    // The worker may send only the app's templates from its own sender address.
    const policies = JSON.stringify(Object.values(events.findResources('AWS::IAM::ManagedPolicy')).map((p) => p.Properties.PolicyDocument));
    expect(policies).toContain('"ses:FromAddress":"no-reply@cloudvault.example.com"');
    expect(policies).toContain('s3:ListBucketMultipartUploads'); // the cleanup job finds stale uploads
  });

  test('recovery: a daily scheduled backup job runs the backup handler with the vault and the role it may pass', () => {
    const recovery = t(stage.recovery);
    recovery.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 2 * * ? *)',
      Target: Match.objectLike({ Input: JSON.stringify({ action: 'scheduled-backup' }) }),
    });
    recovery.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'backup', BACKUP_VAULT_NAME: Match.anyValue(), BACKUP_ROLE_ARN: Match.anyValue(), TABLE_ARN: Match.anyValue() }) },
    });
    const policies = JSON.stringify(Object.values(recovery.findResources('AWS::IAM::ManagedPolicy')).map((p) => p.Properties.PolicyDocument));
    expect(policies).toContain('backup:StartBackupJob');
    expect(policies).toContain('iam:PassRole');
  });

  test('the folders routes run the bundled folders handler with read/write access to the table only', () => {
    t(stage.api).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'folders', TABLE_NAME: Match.anyValue() }) },
    });
    const policies = Object.values(t(stage.api).findResources('AWS::IAM::ManagedPolicy')).map((p) => JSON.stringify(p.Properties.PolicyDocument));
    const folderPolicy = policies.find((doc) => doc.includes('dynamodb:TransactWriteItems') || doc.includes('dynamodb:PutItem'));
    expect(folderPolicy).toBeDefined();
    expect(folderPolicy).not.toContain('"dynamodb:*"');
  });

  test('the health route runs the bundled health handler with the Powertools environment', () => {
    t(stage.api).hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Code: { S3Key: Match.stringLikeRegexp('\\.zip$') },
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'health', POWERTOOLS_METRICS_NAMESPACE: 'CloudVault' }) },
      VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }),
    });
  });

  test('the table has the four GSIs and a stream; the bucket is versioned with a lifecycle', () => {
    t(stage.data).hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      StreamSpecification: { StreamViewType: Match.anyValue() },
      GlobalSecondaryIndexes: ['UserByEmail', 'FolderChildren', 'FileSearch', 'ShareLinks'].map((n) => Match.objectLike({ IndexName: n })),
    });
    t(stage.data).hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 90 } })]) },
    });
  });

  test('the backup plan selects the table and the files bucket', () => {
    const selections = Object.values(t(stage.recovery).findResources('AWS::Backup::BackupSelection'))
      .map((s) => JSON.stringify(s.Properties.BackupSelection.Resources));
    expect(selections).toHaveLength(2);
    expect(selections.some((r) => /Data.*Table/.test(r))).toBe(true);
    expect(selections.some((r) => /Data.*Files/.test(r))).toBe(true);
  });

  test('Logs Insights queries for errors, slow requests and per-tenant activity', () => {
    const queries = Object.values(t(stage.monitoring).findResources('AWS::Logs::QueryDefinition')).map((q) => q.Properties);
    const byName = (suffix: string) => queries.find((q) => q.Name.endsWith(suffix));
    expect(queries).toHaveLength(3);
    expect(byName('/errors').QueryString).toContain('level = "ERROR"');
    expect(byName('/slow-requests').QueryString).toContain('responseLatency > 1000');
    expect(byName('/tenant-activity').QueryString).toMatch(/by tenant_id/);
    for (const q of queries) expect(q.LogGroupNames.length).toBeGreaterThan(0);
  });

  test('the dashboard shows the business metrics and every stack\'s alarms', () => {
    const body = JSON.stringify(t(stage.monitoring).findResources('AWS::CloudWatch::Dashboard'));
    // Every business metric on the dashboard is one a handler really emits.
    const emitted = readdirSync(HANDLERS, { recursive: true }).filter((f) => String(f).endsWith('.ts'))
      .map((f) => readFileSync(path.join(HANDLERS, String(f)), 'utf8')).join('\n');
    for (const metric of ['UploadsProcessed', 'StoredBytes', 'ActiveUsers', 'ShareLinksCreated']) {
      expect(body).toContain(`{CloudVault,service} MetricName=\\\\\\"${metric}\\\\\\"`);
      expect(emitted).toContain(`addMetric('${metric}'`);
    }
    for (const set of ['Security', 'Data', 'Events', 'Api', 'Recovery']) expect(body).toMatch(new RegExp(`CloudVault-${name}-${set} \\(\\d+ alarms\\)`));
  });

  test('all alarms notify the one alarm topic of the security stack', () => {
    expect(Object.keys(t(stage.security).findResources('AWS::SNS::Topic')).length).toBeGreaterThan(0);
    for (const stack of [stage.data, stage.api, stage.recovery]) {
      expect(t(stack).findResources('AWS::SNS::Topic', { Properties: { DisplayName: Match.stringLikeRegexp('alarms') } })).toEqual({});
      const alarms = Object.values(t(stack).findResources('AWS::CloudWatch::Alarm'));
      expect(alarms.length).toBeGreaterThan(0);
      for (const alarm of alarms) {
        expect(JSON.stringify(alarm.Properties.AlarmActions)).toMatch(/Fn::ImportValue.*Security/);
      }
    }
    // Security findings share the topic; the e-mail subscription has a dead-letter queue.
    expect(t(stage.security).findResources('AWS::SNS::Topic', { Properties: { DisplayName: 'Security findings' } })).toEqual({});
    t(stage.security).hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', RedrivePolicy: Match.anyValue() });
  });

  test('required tags on a sample of resources of every kind', () => {
    const tags = Match.arrayWith([
      { Key: 'CostCenter', Value: 'CV-0001' },
      { Key: 'Environment', Value: name },
      { Key: 'Owner', Value: 'cloudvault-maintainers' },
      { Key: 'Project', Value: 'cloudvault' },
    ]);
    t(stage.network).hasResourceProperties('AWS::EC2::VPC', { Tags: tags });
    t(stage.security).hasResourceProperties('AWS::KMS::Key', { Tags: tags });
    t(stage.data).hasResourceProperties('AWS::S3::Bucket', { Tags: tags });
    t(stage.api).hasResourceProperties('AWS::Lambda::Function', { Tags: tags });
    t(stage.recovery).hasResourceProperties('AWS::Backup::BackupVault', { BackupVaultTags: Match.objectLike({ Project: 'cloudvault', Environment: name }) });
  });

  test('the budgets count only this environment\'s tagged cost', () => {
    t(stage.cost).hasResourceProperties('AWS::Budgets::Budget', {
      Budget: Match.objectLike({
        BudgetLimit: { Amount: 250, Unit: 'USD' },
        FilterExpression: { And: [{ Tags: { Key: 'Environment', Values: [name] } }, { Tags: { Key: 'Project', Values: ['cloudvault'] } }] },
      }),
    });
    // Budget notifications go to the app's one alarm topic, whose key lets AWS Budgets use it.
    expect(t(stage.cost).findResources('AWS::SNS::Topic')).toEqual({});
    const subscribers = JSON.stringify(Object.values(t(stage.cost).findResources('AWS::Budgets::Budget')).map((b) => b.Properties.NotificationsWithSubscribers));
    expect(subscribers).toMatch(/"Address":\{"Fn::ImportValue":"CloudVault-[a-z]+-Security:ExportsOutputRefAlarmsTopic[^"]*"\},"SubscriptionType":"SNS"/);
    t(stage.security).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'AllowBudgetsToPublish', Principal: { Service: 'budgets.amazonaws.com' } })]) },
    });
    t(stage.security).hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'AllowBudgetsToPublish', Principal: { Service: 'budgets.amazonaws.com' } })]) },
    });
  });
});

test('replication and failover appear only when configured', () => {
  const app = testApp();
  const stage = new CloudVault(app, 'CloudVault-staging', {
    profile: EnvironmentConfig.staging(),
    env,
    secondaryRegion: 'eu-central-1',
    replicationDestination: {
      bucketArn: 'arn:aws:s3:::cloudvault-staging-files-replica',
      keyArn: 'arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555',
      region: 'eu-central-1',
    },
    domain: { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com', recordName: 'api.example.com', primaryDomainName: 'api-eu-west-1.example.com', secondaryDomainName: 'api-eu-central-1.example.com' },
    createDetector: false,
    createSecurityHub: false,
    createRecorder: false,
    apiDomain: { domainName: 'api-eu-west-1.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' },
  });
  app.synth();
  // The custom domain of the API: DNS-validated certificate, TLS 1.2 regional domain name, mapping, alias.
  const api = Template.fromStack(stage.api);
  api.hasResourceProperties('AWS::CertificateManager::Certificate', { DomainName: 'api-eu-west-1.example.com', ValidationMethod: 'DNS' });
  api.hasResourceProperties('AWS::ApiGateway::DomainName', { DomainName: 'api-eu-west-1.example.com', SecurityPolicy: 'TLS_1_2', EndpointConfiguration: { Types: ['REGIONAL'] } });
  api.hasResourceProperties('AWS::ApiGateway::BasePathMapping', { RestApiId: { Ref: Match.stringLikeRegexp('^Api') } });
  api.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'api-eu-west-1.example.com.', Type: 'A', HostedZoneId: 'Z0123456789ABCDEFGHIJ' });
  Template.fromStack(stage.data).hasResourceProperties('AWS::S3::Bucket', {
    ReplicationConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Destination: Match.objectLike({ Bucket: 'arn:aws:s3:::cloudvault-staging-files-replica' }) })]) },
  });
  const recovery = Template.fromStack(stage.recovery);
  recovery.hasResourceProperties('AWS::Route53::HealthCheck', { HealthCheckConfig: Match.objectLike({ ResourcePath: '/api/health' }) });
  recovery.resourceCountIs('AWS::Route53::RecordSet', 2);
  const security = Template.fromStack(stage.security);
  security.resourceCountIs('AWS::GuardDuty::Detector', 0);
  security.resourceCountIs('AWS::SecurityHub::Hub', 0);
  security.resourceCountIs('AWS::Config::ConfigurationRecorder', 0);
  // Replication, failover and the API domain change only the data, recovery and API stacks: the Control Tower rules run
  // on those here (the dev and prod suites above run them on every stack).
  const changed: Stack[] = [stage.data, stage.recovery, stage.api];
  expect(formatFindings(stage.stacks.flatMap((s) => nagFindings(s, { controlTower: changed.includes(s) })))).toBe('');
});

test('failover without a secondary region is a synth-time error', () => {
  const app = testApp();
  expect(() => new CloudVault(app, 'CloudVault-dev', {
    profile: EnvironmentConfig.dev(),
    env,
    domain: { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com', recordName: 'api.example.com', primaryDomainName: 'a.example.com', secondaryDomainName: 'b.example.com' },
  })).toThrow('CloudVaultRecoveryStack "Recovery" (CloudVault-dev/Recovery): secondaryRegion must be set when domain is set (the failover region), got undefined');
});

describe('CloudVault pipeline stack', () => {
  let pipeline: CloudVaultPipelineStack;
  let template: Template;

  beforeAll(() => {
    const app = testApp();
    pipeline = new CloudVaultPipelineStack(app, 'CloudVault-Pipeline', {
      env,
      connectionArn: 'arn:aws:codeconnections:eu-west-1:123456789012:connection/11111111-2222-3333-4444-555555555555',
      repository: 'cloudvault/cloudvault-constructs',
      environments: { prod: { account: '210987654321', region: 'eu-west-1' } },
    });
    app.synth();
    template = Template.fromStack(pipeline);
  });

  test('deploys the stage to dev, staging and prod, with an approval before prod', () => {
    expect(pipeline.stages.map((s) => [s.stageName, s.profile.environment])).toEqual([
      ['CloudVault-dev', 'dev'], ['CloudVault-staging', 'staging'], ['CloudVault-prod', 'prod'],
    ]);
    const stages = template.findResources('AWS::CodePipeline::Pipeline');
    const names = Object.values(stages)[0].Properties.Stages.map((s: { Name: string }) => s.Name);
    expect(names).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', 'CloudVault-dev', 'CloudVault-staging', 'CloudVault-prod']);
    const prod = Object.values(stages)[0].Properties.Stages.find((s: { Name: string }) => s.Name === 'CloudVault-prod');
    expect(prod.Actions.map((a: { ActionTypeId: { Category: string } }) => a.ActionTypeId.Category)).toContain('Approval');
    expect(pipeline.stages[2].stacks.every((s) => s.terminationProtection)).toBe(true);
    expect(pipeline.stages[2].api.account).toBe('210987654321');
  });

  test('the pipeline stack itself is nag-clean', () => {
    const own = nagFindings(pipeline).filter((f) => !f.path.startsWith('CloudVault-Pipeline/CloudVault-'));
    expect(formatFindings(own)).toBe('');
  });
});
