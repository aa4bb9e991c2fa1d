import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EnvironmentConfig } from '../../../src';
import { formatFindings, nagFindings, testApp } from '../../../test/support/nag-harness';
import { PatchTracker } from '../infra/patch-tracker-stage';
import { PatchTrackerPipelineStack } from '../infra/pipeline-stack';
import { ROUTES } from '../infra/routes';
import { DISCUSSIONS_TABLE, PATCHES_TABLE } from '../infra/table-schema';

const env = { account: '123456789012', region: 'eu-west-1' };

describe.each([
  ['dev', EnvironmentConfig.dev()],
  ['prod', EnvironmentConfig.prod()],
])('PatchTracker stage, %s profile', (name, profile) => {
  let stage: PatchTracker;
  const templates = new Map<Stack, Template>();
  const t = (stack: Stack) => templates.get(stack)!;

  beforeAll(() => {
    const app = testApp();
    stage = new PatchTracker(app, `PatchTracker-${name}`, { profile, env });
    app.synth();
    for (const stack of stage.stacks) templates.set(stack, Template.fromStack(stack));
  });

  test('every stack is clean under the five nag packs and the Control Tower rules', () => {
    const findings = stage.stacks.flatMap((stack) => nagFindings(stack));
    expect(formatFindings(findings)).toBe('');
  });

  test('stacks split by lifecycle', () => {
    expect(stage.stacks.map((s) => s.stackName)).toEqual(['Security', 'Data', 'Fetch', 'Api', 'Monitoring'].map((s) => `PatchTracker-${name}-${s}`));
  });

  test('the Patches and Discussions tables have the keys and GSIs of the schema, KMS-encrypted, with PITR', () => {
    const tables = Object.values(t(stage.data).findResources('AWS::DynamoDB::GlobalTable')).map((r) => r.Properties);
    expect(tables).toHaveLength(2);
    const shape = (schema: typeof PATCHES_TABLE) => ({
      KeySchema: [{ AttributeName: schema.partitionKey, KeyType: 'HASH' }, ...(schema.sortKey ? [{ AttributeName: schema.sortKey, KeyType: 'RANGE' }] : [])],
      GlobalSecondaryIndexes: schema.globalSecondaryIndexes.map((g) => Match.objectLike({
        IndexName: g.indexName,
        KeySchema: [{ AttributeName: g.partitionKey, KeyType: 'HASH' }, { AttributeName: g.sortKey, KeyType: 'RANGE' }],
      })),
      SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS' }),
    });
    for (const schema of [PATCHES_TABLE, DISCUSSIONS_TABLE]) {
      t(stage.data).hasResourceProperties('AWS::DynamoDB::GlobalTable', Match.objectLike(shape(schema)));
    }
    expect(tables.map((p) => p.GlobalSecondaryIndexes.map((g: { IndexName: string }) => g.IndexName))).toEqual([
      ['SubmitterIndex', 'SeriesIndex', 'StatusIndex'], ['PatchIndex', 'ThreadIndex', 'AuthorIndex'],
    ]);
  });

  test('schedules per profile: hourly recent patches, daily 03:00 UTC full refresh, weekly Sunday discussions', () => {
    const schedules = Object.values(t(stage.fetch).findResources('AWS::Scheduler::Schedule')).map((r) => r.Properties);
    const byName = Object.fromEntries(schedules.map((s) => [s.Name, s]));
    expect(Object.keys(byName).sort()).toEqual(['full-refresh', 'recent-patches', 'weekly-discussions']);
    expect(byName['recent-patches'].ScheduleExpression).toBe(name === 'prod' ? 'rate(1 hour)' : 'rate(6 hours)');
    expect(byName['full-refresh'].ScheduleExpression).toBe('cron(0 3 * * ? *)');
    expect(byName['full-refresh'].State).toBe(name === 'prod' ? 'ENABLED' : 'DISABLED');
    expect(byName['weekly-discussions'].ScheduleExpression).toBe('cron(0 4 ? * SUN *)');
    expect(JSON.parse(byName['recent-patches'].Target.Input)).toEqual({ mode: 'recent' });
    expect(JSON.parse(byName['full-refresh'].Target.Input)).toEqual({ mode: 'full' });
    expect(JSON.parse(byName['weekly-discussions'].Target.Input)).toEqual({ mode: 'weekly' });
    // Undeliverable runs go to the job's dead-letter queue.
    for (const s of schedules) expect(s.Target.DeadLetterConfig.Arn).toBeDefined();
  });

  test('the fetchers: Node.js 24 on ARM64, a dead-letter queue for failed runs, one run at a time, alarms on both DLQs', () => {
    const fetch = t(stage.fetch);
    const functions = Object.values(fetch.findResources('AWS::Lambda::Function')).map((r) => r.Properties)
      .filter((p) => ['patch-fetcher', 'discussion-fetcher'].includes(p.Environment?.Variables?.POWERTOOLS_SERVICE_NAME));
    expect(functions).toHaveLength(2);
    for (const fn of functions) {
      expect(fn).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], ReservedConcurrentExecutions: 1, DeadLetterConfig: { TargetArn: expect.anything() } });
    }
    const patchFetcher = functions.find((f) => f.Environment.Variables.POWERTOOLS_SERVICE_NAME === 'patch-fetcher')!;
    expect(patchFetcher.Environment.Variables).toMatchObject({ PATCHWORK_URL: 'https://patchwork.kernel.org', PATCHWORK_PROJECTS: 'netdevbpf,linux-arm-kernel', POWERTOOLS_METRICS_NAMESPACE: 'PatchTracker' });
    // 2 function DLQs + 2 scheduler DLQs, each with a depth alarm.
    const dlqAlarms = Object.values(fetch.findResources('AWS::CloudWatch::Alarm')).filter((a) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(dlqAlarms.length).toBeGreaterThanOrEqual(4);
  });

  test('least privilege: the patch fetcher writes patches only, the discussion fetcher reads patches and writes discussions, the API only reads', () => {
    const actionsOf = (template: Template, prefix: RegExp) => Object.entries(template.findResources('AWS::IAM::ManagedPolicy'))
      .filter(([id]) => prefix.test(id))
      .flatMap(([, p]) => (p.Properties.PolicyDocument.Statement as any[]).flatMap((st) => [].concat(st.Action)));
    const patchFetcher = actionsOf(t(stage.fetch), /^PatchFetcher/);
    expect(patchFetcher).toContain('dynamodb:BatchWriteItem');
    expect(patchFetcher).not.toContain('dynamodb:Query');
    const discussionFetcher = actionsOf(t(stage.fetch), /^DiscussionFetcher/);
    expect(discussionFetcher).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:BatchWriteItem']));
    const api = actionsOf(t(stage.api), /^Patches/);
    expect(api).toContain('dynamodb:Query');
    expect(api.filter((a) => /^dynamodb:.*(Put|Update|Delete|Write)/.test(a))).toEqual([]);
  });

  test('every route of the route table, behind the Cognito authorizer and the WAF', () => {
    const api = t(stage.api);
    const resources = api.findResources('AWS::ApiGateway::Resource');
    const pathOf = (ref: any): string => (ref?.Ref ? `${pathOf(resources[ref.Ref].Properties.ParentId)}/${resources[ref.Ref].Properties.PathPart}` : '');
    const methods = Object.values(api.findResources('AWS::ApiGateway::Method')).map((m) => m.Properties).filter((m) => m.HttpMethod !== 'OPTIONS');
    expect(methods.map((m) => `${m.HttpMethod} ${pathOf(m.ResourceId)} ${m.AuthorizationType}`).sort())
      .toEqual(ROUTES.map((r) => `${r.method} ${r.path} COGNITO_USER_POOLS`).sort());
    api.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { WebACLArn: { 'Fn::ImportValue': Match.stringLikeRegexp('Security') } });
    api.hasResourceProperties('AWS::Cognito::UserPool', { MfaConfiguration: name === 'prod' ? 'ON' : 'OPTIONAL', AdminCreateUserConfig: { AllowAdminCreateUserOnly: true } });
  });

  test('every alarm notifies the security stack\'s topic; the API stack outputs what a client needs', () => {
    for (const stack of [stage.data, stage.fetch, stage.api]) {
      for (const alarm of Object.values(t(stack).findResources('AWS::CloudWatch::Alarm'))) {
        expect(JSON.stringify(alarm.Properties.AlarmActions)).toMatch(/Security/);
      }
    }
    expect(Object.keys(t(stage.api).toJSON().Outputs)).toEqual(expect.arrayContaining(['ApiUrl', 'UserPoolId', 'WebClientId']));
  });

  test('the dashboard shows the fetch metrics', () => {
    const body = JSON.stringify(Object.values(t(stage.monitoring).findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody);
    for (const metric of ['FetchSucceeded', 'FetchFailed', 'CircuitOpen', 'PatchesWritten', 'DiscussionsWritten', 'PagesFetched', 'FetchDuration']) {
      expect(body).toContain(`MetricName=\\\\\\"${metric}\\\\\\"`);
    }
  });

  test('tables are retained and deletion-protected in prod only', () => {
    const tables = Object.values(t(stage.data).findResources('AWS::DynamoDB::GlobalTable'));
    for (const table of tables) {
      expect(table.DeletionPolicy).toBe(name === 'prod' ? 'Retain' : 'Delete');
      expect(table.Properties.Replicas[0].DeletionProtectionEnabled ?? false).toBe(name === 'prod');
    }
  });
});

describe('PatchTracker pipeline', () => {
  let pipeline: PatchTrackerPipelineStack;
  let template: Template;

  beforeAll(() => {
    const app = testApp();
    pipeline = new PatchTrackerPipelineStack(app, 'PatchTracker-Pipeline', {
      env,
      connectionArn: 'arn:aws:codeconnections:eu-west-1:123456789012:connection/11111111-2222-3333-4444-555555555555',
      repository: 'cloudvault/cloudvault-constructs',
    });
    app.synth();
    template = Template.fromStack(pipeline);
  });

  test('deploys the stage to dev, staging and prod, with an approval before prod', () => {
    expect(pipeline.stages.map((s) => s.stageName)).toEqual(['PatchTracker-dev', 'PatchTracker-staging', 'PatchTracker-prod']);
    const stages = Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0].Properties.Stages;
    expect(stages.map((s: { Name: string }) => s.Name)).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', 'PatchTracker-dev', 'PatchTracker-staging', 'PatchTracker-prod']);
    const prod = stages.find((s: { Name: string }) => s.Name === 'PatchTracker-prod');
    expect(prod.Actions.map((a: { ActionTypeId: { Category: string } }) => a.ActionTypeId.Category)).toContain('Approval');
  });

  test('the pipeline stack itself is nag-clean', () => {
    const own = nagFindings(pipeline).filter((f) => !f.path.startsWith('PatchTracker-Pipeline/PatchTracker-'));
    expect(formatFindings(own)).toBe('');
  });
});
