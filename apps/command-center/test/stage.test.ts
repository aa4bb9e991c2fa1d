import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EnvironmentConfig } from '../../../src';
import { formatFindings, nagFindings, testApp } from '../../../test/support/nag-harness';
import { CommandCenter } from '../infra/command-center-stage';
import { APP_DB_USER, ROUTES } from '../infra/routes';

const env = { account: '123456789012', region: 'eu-west-1' };

describe.each([
  ['dev', EnvironmentConfig.dev()],
  ['prod', EnvironmentConfig.prod()],
])('Command center stage, %s profile', (name, profile) => {
  let stage: CommandCenter;
  const templates = new Map<Stack, Template>();
  const t = (stack: Stack) => templates.get(stack)!;

  beforeAll(() => {
    const app = testApp();
    stage = new CommandCenter(app, `CommandCenter-${name}`, { profile, env });
    app.synth();
    for (const stack of stage.stacks) templates.set(stack, Template.fromStack(stack));
  });

  test('every stack is nag-clean under the five packs and the Control Tower rules', () => {
    const findings = stage.stacks.flatMap((stack) => nagFindings(stack));
    expect(formatFindings(findings)).toBe('');
  });

  test('stacks split by lifecycle', () => {
    expect(stage.stacks.map((s) => s.stackName)).toEqual(['Network', 'Security', 'Data', 'Api', 'Monitoring'].map((s) => `CommandCenter-${name}-${s}`));
  });

  test('RBAC roles are Cognito groups; the tenant is an immutable attribute; MFA required in prod', () => {
    const data = t(stage.data);
    const groups = Object.values(data.findResources('AWS::Cognito::UserPoolGroup')).map((g) => g.Properties.GroupName);
    expect(groups.sort()).toEqual(['admin', 'operator', 'viewer']);
    data.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: name === 'prod' ? 'ON' : 'OPTIONAL',
      Schema: Match.arrayWith([Match.objectLike({ Name: 'tenantId', Mutable: false })]),
    });
  });

  test('Aurora Serverless v2 behind an RDS Proxy with IAM auth and TLS; Valkey with TLS', () => {
    const data = t(stage.data);
    data.hasResourceProperties('AWS::RDS::DBCluster', { Engine: 'aurora-postgresql', StorageEncrypted: true, EnableIAMDatabaseAuthentication: true, DatabaseName: 'command_center' });
    data.hasResourceProperties('AWS::RDS::DBProxy', { RequireTLS: true, EngineFamily: 'POSTGRESQL', DefaultAuthScheme: 'IAM_AUTH' });
    data.hasResourceProperties('AWS::ElastiCache::ServerlessCache', { Engine: 'valkey' });
    // The functions' group reaches the proxy on 5432 and the cache on 6379, nothing else but HTTPS.
    const egress = Object.values(data.findResources('AWS::EC2::SecurityGroupEgress')).map((r) => r.Properties.FromPort);
    expect(egress.sort()).toEqual(expect.arrayContaining([5432, 6379]));
  });

  test('every REST route is authorized by Cognito and served by the commands function', () => {
    const api = t(stage.api);
    const methods = Object.values(api.findResources('AWS::ApiGateway::Method')).filter((m) => m.Properties.HttpMethod !== 'OPTIONS');
    expect(methods).toHaveLength(ROUTES.length);
    for (const m of methods) expect(m.Properties.AuthorizationType).toBe('COGNITO_USER_POOLS');
  });

  test('the functions connect through the proxy with IAM tokens, as the app user or (migrate) the admin', () => {
    const api = t(stage.api);
    const vars = Object.values(api.findResources('AWS::Lambda::Function')).map((f) => f.Properties.Environment?.Variables ?? {});
    const commands = vars.find((v) => v.POWERTOOLS_SERVICE_NAME === 'commands')!;
    expect(commands).toMatchObject({ DB_IAM_AUTH: 'true', DB_PORT: '5432', DB_USER: APP_DB_USER, DB_NAME: 'command_center', CACHE_IAM_AUTH: 'true' });
    expect(commands.WS_CALLBACK_URL).toBeDefined();
    expect(vars.find((v) => v.POWERTOOLS_SERVICE_NAME === 'migrate')).toMatchObject({ DB_USER: 'dbadmin' });
    const actions = Object.values(api.findResources('AWS::IAM::ManagedPolicy'))
      .flatMap((p) => (p.Properties.PolicyDocument.Statement as any[]).flatMap((s) => [].concat(s.Action)));
    expect(actions).toEqual(expect.arrayContaining(['rds-db:connect', 'elasticache:Connect', 'execute-api:ManageConnections']));
    for (const fn of Object.values(api.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    }
  });

  test('the WebSocket API authorizes $connect with the token from the query string', () => {
    const api = t(stage.api);
    // Connections live in Postgres: the WebSocket API creates no connection table.
    api.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
    expect(stage.api.realtime.table).toBeUndefined();
    api.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerType: 'REQUEST', IdentitySource: ['route.request.querystring.token'] });
    api.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$connect', AuthorizationType: 'CUSTOM' });
  });

  test('a dashboard over the alarms', () => {
    t(stage.monitoring).resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(Object.keys(t(stage.api).findResources('AWS::CloudWatch::Alarm')).length).toBeGreaterThan(10);
  });
});
