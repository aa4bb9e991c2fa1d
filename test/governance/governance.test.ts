import { App, RemovalPolicy, Stack, aws_logs as logs, aws_sqs as sqs } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EnvironmentConfig, EnvironmentName, LogLevel, RequiredTags } from '../../src';
import { testApp, testStack } from '../support/nag-harness';

describe('EnvironmentConfig', () => {
  test('profiles differ only in what is safe to relax', () => {
    const dev = EnvironmentConfig.dev();
    const prod = EnvironmentConfig.prod();
    expect([dev.removalPolicy, dev.logRetention, dev.alarmActionsEnabled, dev.logLevel, dev.deletionProtection, dev.natGateways])
      .toEqual([RemovalPolicy.DESTROY, logs.RetentionDays.ONE_MONTH, false, LogLevel.DEBUG, false, 1]);
    expect([prod.removalPolicy, prod.logRetention, prod.alarmActionsEnabled, prod.logLevel, prod.deletionProtection, prod.natGateways])
      .toEqual([RemovalPolicy.RETAIN, logs.RetentionDays.ONE_YEAR, true, LogLevel.INFO, true, 3]);
    expect(EnvironmentConfig.staging().logRetention).toBe(logs.RetentionDays.ONE_YEAR); // AWS Control Tower CT.CLOUDWATCH.PR.2
  });

  test('overrides win over the profile', () => {
    expect(EnvironmentConfig.dev({ logLevel: LogLevel.WARN, natGateways: 0 })).toMatchObject({ logLevel: LogLevel.WARN, natGateways: 0 });
  });

  test('resolution: nearest applied config, then context, then prod', () => {
    const app = new App({ context: { 'cloudvault:environment': 'staging' } });
    const a = new Stack(app, 'A');
    const b = new Stack(app, 'B');
    EnvironmentConfig.dev().applyTo(a);
    expect(EnvironmentConfig.of(new sqs.Queue(a, 'Q')).environment).toBe(EnvironmentName.DEV);
    expect(EnvironmentConfig.of(b).environment).toBe(EnvironmentName.STAGING);
    expect(EnvironmentConfig.of(new Stack(new App(), 'C')).environment).toBe(EnvironmentName.PROD);
  });

  test.each([
    ['an unknown name', () => EnvironmentConfig.fromName('qa'), 'EnvironmentConfig.fromName: name must be one of dev, staging, prod, got "qa"'],
    ['DESTROY in prod', () => EnvironmentConfig.prod({ removalPolicy: RemovalPolicy.DESTROY }),
      'EnvironmentConfig "prod": removalPolicy must be RETAIN or SNAPSHOT in prod (data stores are never destroyed with the stack), got "destroy"'],
    ['no deletion protection in prod', () => EnvironmentConfig.prod({ deletionProtection: false }), 'EnvironmentConfig "prod": deletionProtection must be true in prod, got false'],
    ['too many NAT gateways', () => EnvironmentConfig.dev({ natGateways: 9 }), 'EnvironmentConfig "dev": natGateways must be an integer 0-6, got 9'],
    ['infinite retention outside prod', () => EnvironmentConfig.staging({ logRetention: logs.RetentionDays.INFINITE }),
      'EnvironmentConfig "staging": logRetention must be finite outside prod (infinite retention is a prod-only choice), got 9999'],
  ])('rejects %s', (_name, make, message) => {
    expect(make).toThrow(message);
  });
});

describe('RequiredTags', () => {
  const tags = { environment: 'prod', project: 'cloudvault', owner: 'platform-team', costCenter: 'CC-1234' };

  test('tags every taggable resource with the four required tags', () => {
    const app = testApp();
    const stack = testStack(app);
    new sqs.Queue(stack, 'Queue');
    new logs.LogGroup(stack, 'Logs');
    RequiredTags.applyTo(stack, { ...tags, additionalTags: { DataClass: 'confidential' } });
    const template = Template.fromStack(stack);
    for (const type of ['AWS::SQS::Queue', 'AWS::Logs::LogGroup']) {
      const resource = Object.values(template.findResources(type))[0] as any;
      expect(resource.Properties.Tags).toEqual(expect.arrayContaining([
        { Key: 'Environment', Value: 'prod' }, { Key: 'Project', Value: 'cloudvault' },
        { Key: 'Owner', Value: 'platform-team' }, { Key: 'CostCenter', Value: 'CC-1234' }, { Key: 'DataClass', Value: 'confidential' },
      ]));
    }
  });

  test.each([
    ['an empty owner', { ...tags, owner: '' }, 'RequiredTags "tags": Owner must be a non-empty tag value of up to 256 letters, digits, spaces and _ . : / = + - @, got ""'],
    ['a missing cost center', { ...tags, costCenter: undefined as unknown as string }, 'RequiredTags "tags": CostCenter must be a non-empty tag value of up to 256 letters, digits, spaces and _ . : / = + - @, got undefined'],
    ['a value with forbidden characters', { ...tags, project: 'cloud<vault>' }, 'RequiredTags "tags": Project must be a non-empty tag value of up to 256 letters, digits, spaces and _ . : / = + - @, got "cloud<vault>"'],
  ])('fails synth on %s', (_name, props, message) => {
    expect(() => RequiredTags.applyTo(testStack(), props)).toThrow(message);
  });
});
