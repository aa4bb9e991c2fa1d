import { App } from 'aws-cdk-lib';
import { CommandCenter } from './command-center-stage';
import { EnvironmentConfig } from '../../../src';
import { synthesizeWithCompliance } from '../../kit/infra/compliance-synth';

// Entry of the command center: `npx projen command-center`.
// Profile: `-c command-center:environment=dev|staging|prod` (default dev). No AWS credentials needed.
const app = new App({
  outdir: process.env.CDK_OUTDIR ?? 'cdk.out/command-center',
  // CloudFormation registry-schema and default-rule findings fail synthesis too.
  context: { '@aws-cdk/core:validateAgainstDefaultRules': true },
});
const context = (key: string): string | undefined => app.node.tryGetContext(`command-center:${key}`);
const profile = EnvironmentConfig.fromName(context('environment') ?? 'dev');
const env = {
  account: context('account') ?? process.env.CDK_DEFAULT_ACCOUNT ?? '111111111111',
  region: context('region') ?? process.env.CDK_DEFAULT_REGION ?? 'eu-west-1',
};

const stage = new CommandCenter(app, `CommandCenter-${profile.environment}`, { profile, env });
synthesizeWithCompliance(app, 'Command center', stage.stacks);
