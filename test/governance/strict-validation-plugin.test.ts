import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, Stack, Validations, aws_sqs as sqs } from 'aws-cdk-lib';
import { StrictValidationPlugin } from '../../src';

// Two unencrypted queues, one of them acknowledged for a different Control Tower rule: the
// acknowledgement alone makes aws-cdk-lib pass the unwrapped plugin's report.
function appWith(plugin: (v: CfnGuardValidator) => any): App {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'S', { env: { account: '123456789012', region: 'eu-west-1' } });
  const dlq = new sqs.Queue(stack, 'Dlq', { enforceSSL: true });
  new sqs.Queue(stack, 'Q', { deadLetterQueue: { queue: dlq, maxReceiveCount: 3 }, enforceSSL: true });
  Validations.of(dlq).acknowledge({ id: 'cdk-validator-cfnguard::sqs_dlq_check', reason: 'the test acknowledges one rule' });
  Validations.of(app).addPlugins(plugin(new CfnGuardValidator()));
  return app;
}

describe('StrictValidationPlugin', () => {
  let errors: jest.SpyInstance;
  beforeEach(() => { errors = jest.spyOn(console, 'error').mockImplementation(() => undefined); });
  afterEach(() => errors.mockRestore());

  test('the plain CfnGuardValidator lets synthesis pass once any of its rules is acknowledged (the aws-cdk-lib behaviour it fixes)', () => {
    expect(() => appWith((v) => v).synth()).not.toThrow();
  });

  test('wrapped, the remaining violations fail synthesis and keep their acknowledgement ids', () => {
    expect(() => appWith((v) => new StrictValidationPlugin(v)).synth()).toThrow(/S\/Q\/Resource[\s\S]*Acknowledge with 'cdk-validator-cfnguard::sqs_queue_encrypted_check'/);
  });

  test('plain JavaScript callers get the library\'s message, not a TypeError', () => {
    expect(() => new StrictValidationPlugin(undefined as any)).toThrow(
      'StrictValidationPlugin: plugin must be a policy-validation plugin (an object with validate()), got undefined');
  });
});
