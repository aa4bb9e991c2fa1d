/**
 * Acknowledgements stay on the resource they name (build-tools/peer-floor.ts runs this at the peer
 * floor and at the dev version and compares; run alone it synthesizes nothing). EnhancedLambdaFunction acknowledges the Control
 * Tower rule lambda_inside_vpc_check on its own function; the app's plain function right beside it
 * must still fail synthesis (StrictValidationPlugin). aws-cdk-lib before 2.271 keyed
 * acknowledgements by rule id alone, so the library's acknowledgement silenced the rule for every
 * resource of the app and synthesis passed.
 */
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, Stack, Validations, aws_lambda as lambda } from 'aws-cdk-lib';
import { EnhancedLambdaFunction, StrictValidationPlugin } from '../src';

const code = lambda.Code.fromInline('exports.handler = async () => ({})');
// The same library function twice: beside a plain function of the app's own (synthesis must fail
// on it), and alone (synthesis passes: the acknowledgement covers the library's function).
for (const withOwnFunction of [true, false]) {
  const app = new App();
  Validations.of(app).addPlugins(new StrictValidationPlugin(new CfnGuardValidator()));
  const stack = new Stack(app, 'AcknowledgementScope', { env: { account: '123456789012', region: 'eu-west-1' } });
  new EnhancedLambdaFunction(stack, 'Library', { code });
  if (withOwnFunction) {
    new lambda.Function(stack, 'Own', { code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_24_X, architecture: lambda.Architecture.ARM_64 });
  }
}
