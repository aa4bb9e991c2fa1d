import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EnvironmentConfig } from '../../../src';
import { formatFindings, nagFindings, testApp } from '../../../test/support/nag-harness';
import { PersonalOs } from '../infra/personal-os-stage';
import { ROUTES } from '../infra/routes';

const env = { account: '123456789012', region: 'eu-west-1' };

describe.each([
  ['dev', EnvironmentConfig.dev()],
  ['prod', EnvironmentConfig.prod()],
])('Personal OS stage, %s profile', (name, profile) => {
  let stage: PersonalOs;
  const templates = new Map<Stack, Template>();
  const t = (stack: Stack) => templates.get(stack)!;

  beforeAll(() => {
    const app = testApp();
    stage = new PersonalOs(app, `PersonalOs-${name}`, { profile, env });
    app.synth();
    for (const stack of stage.stacks) templates.set(stack, Template.fromStack(stack));
  });

  test('0 findings under the five cdk-nag packs and the Control Tower rules', () => {
    expect(formatFindings(stage.stacks.flatMap((stack) => nagFindings(stack)))).toBe('');
  });

  test('stacks split by lifecycle', () => {
    expect(stage.stacks.map((s) => s.stackName)).toEqual(['Security', 'Data', 'Api', 'Recovery', 'Monitoring'].map((s) => `PersonalOs-${name}-${s}`));
  });

  test('single table: user-scoped keys, status and area indexes, TTL, KMS, point-in-time recovery', () => {
    t(stage.data).hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      GlobalSecondaryIndexes: [
        Match.objectLike({ IndexName: 'ByStatus', KeySchema: [{ AttributeName: 'statusKey', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }] }),
        Match.objectLike({ IndexName: 'ByArea', KeySchema: [{ AttributeName: 'areaKey', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }] }),
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS' }),
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: Match.objectLike({ PointInTimeRecoveryEnabled: true }) })],
    });
  });

  test('users: Cognito pool, admin-created, MFA required in prod only', () => {
    t(stage.data).hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: name === 'prod' ? 'ON' : 'OPTIONAL',
      UsernameAttributes: ['email'],
    });
  });

  test('third-party API key secret with its rotation hook', () => {
    const data = t(stage.data);
    data.hasResourceProperties('AWS::SecretsManager::Secret', { Description: 'Personal OS third-party API keys', KmsKeyId: Match.anyValue() });
    data.hasResourceProperties('AWS::SecretsManager::RotationSchedule', { RotationLambdaARN: Match.anyValue(), RotationRules: { AutomaticallyAfterDays: 30 } });
  });

  test('every route of the table is wired; only /health is public', () => {
    const api = t(stage.api);
    const methods = Object.values(api.findResources('AWS::ApiGateway::Method')).filter((m) => m.Properties.HttpMethod !== 'OPTIONS');
    expect(methods).toHaveLength(ROUTES.length);
    const open = methods.filter((m) => m.Properties.AuthorizationType === 'NONE');
    expect(open).toHaveLength(1);
    expect(methods.filter((m) => m.Properties.AuthorizationType === 'COGNITO_USER_POOLS')).toHaveLength(ROUTES.length - 1);
  });

  test('one function per handler: Node.js 24 on ARM64; only data handlers get the table', () => {
    const fns = Object.values(t(stage.api).findResources('AWS::Lambda::Function'));
    const byService = new Map(fns.map((f) => [f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME, f.Properties]));
    expect([...byService.keys()].sort()).toEqual(['goals', 'habits', 'health', 'me', 'metrics', 'tasks', 'wallet']);
    for (const props of byService.values()) {
      expect(props).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
      expect(props.Environment.Variables.STAGE).toBe(name);
    }
    expect(byService.get('health')!.Environment.Variables.TABLE_NAME).toBeUndefined();
    expect(byService.get('me')!.Environment.Variables.TABLE_NAME).toBeUndefined();
    expect(byService.get('tasks')!.Environment.Variables.TABLE_NAME).toBeDefined();
  });

  test('the API sits behind the WAF; no custom domain unless configured', () => {
    t(stage.api).resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    t(stage.api).resourceCountIs('AWS::ApiGateway::DomainName', 0);
  });

  test('backups of the table, alarms on the dashboard', () => {
    t(stage.recovery).resourceCountIs('AWS::Backup::BackupPlan', 1);
    t(stage.recovery).resourceCountIs('AWS::Backup::BackupSelection', 1);
    t(stage.monitoring).resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

test('a custom domain when one is given: certificate, regional domain, base path mapping, alias record', () => {
  const app = testApp();
  const stage = new PersonalOs(app, 'PersonalOs-domain', {
    profile: EnvironmentConfig.dev(),
    env,
    domain: { domainName: 'api.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' },
  });
  const api = Template.fromStack(stage.api);
  api.hasResourceProperties('AWS::ApiGateway::DomainName', { DomainName: 'api.example.com', EndpointConfiguration: { Types: ['REGIONAL'] } });
  api.resourceCountIs('AWS::ApiGateway::BasePathMapping', 1);
  api.resourceCountIs('AWS::CertificateManager::Certificate', 1);
  api.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'api.example.com.', Type: 'A' });
  expect(formatFindings(nagFindings(stage.api))).toBe('');
});
