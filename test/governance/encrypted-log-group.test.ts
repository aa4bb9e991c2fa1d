import { App, Stack, aws_kms as kms, aws_logs as logs } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EnvironmentConfig } from '../../src';
import { encryptedLogGroup } from '../../src/governance/encrypted-log-group';

// The one way the library's constructs make a log group (API, WebSocket, Lambda, VPC flow logs,
// WAF, CloudTrail, RDS, OpenSearch, CodeBuild).
describe('encryptedLogGroup', () => {
  const env = { account: '123456789012', region: 'eu-west-1' };

  function stackWith(config: EnvironmentConfig): [Stack, kms.Key] {
    const stack = new Stack(new App(), 'Logs', { env });
    config.applyTo(stack);
    return [stack, new kms.Key(stack, 'Key')];
  }

  test('encrypts with the key, lets CloudWatch Logs of this region use it, and follows the profile', () => {
    const [dev, devKey] = stackWith(EnvironmentConfig.dev());
    encryptedLogGroup(dev, 'Group', { encryptionKey: devKey });
    const [prod, prodKey] = stackWith(EnvironmentConfig.prod());
    encryptedLogGroup(prod, 'Group', { encryptionKey: prodKey });

    const devTemplate = Template.fromStack(dev);
    const [devGroup] = Object.values(devTemplate.findResources('AWS::Logs::LogGroup'));
    expect(devGroup.Properties).toEqual({ KmsKeyId: dev.resolve(devKey.keyArn), RetentionInDays: 30 });
    expect(devGroup.DeletionPolicy).toBe('Delete');
    const [prodGroup] = Object.values(Template.fromStack(prod).findResources('AWS::Logs::LogGroup'));
    expect(prodGroup.Properties.RetentionInDays).toBe(365);
    expect(prodGroup.DeletionPolicy).toBe('Retain');

    const [key] = Object.values(devTemplate.findResources('AWS::KMS::Key'));
    const logsStatement = key.Properties.KeyPolicy.Statement.find((s: any) => s.Sid === 'AllowCloudWatchLogsForThisAccount');
    expect(logsStatement.Principal).toEqual({ Service: 'logs.eu-west-1.amazonaws.com' });
  });

  test('a given retention and name win; several groups on one key add its statement once', () => {
    const [stack, key] = stackWith(EnvironmentConfig.dev());
    encryptedLogGroup(stack, 'Named', { encryptionKey: key, retention: logs.RetentionDays.ONE_WEEK, logGroupName: 'aws-waf-logs-x' });
    encryptedLogGroup(stack, 'Other', { encryptionKey: key });

    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: 'aws-waf-logs-x', RetentionInDays: 7 });
    const [keyResource] = Object.values(template.findResources('AWS::KMS::Key'));
    expect(keyResource.Properties.KeyPolicy.Statement.filter((s: any) => s.Sid === 'AllowCloudWatchLogsForThisAccount')).toHaveLength(1);
  });
});
