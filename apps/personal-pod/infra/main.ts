import { App } from 'aws-cdk-lib';
import { PersonalPod } from './personal-pod-stage';
import { EnvironmentConfig } from '../../../src';
import { synthesizeWithCompliance } from '../../kit/infra/compliance-synth';

// Entry of PersonalPod: `npx projen personal-pod`.
// Profile: `-c personal-pod:environment=dev|staging|prod` (default dev). No AWS credentials needed.
const app = new App({
  outdir: process.env.CDK_OUTDIR ?? 'cdk.out/personal-pod',
  // CloudFormation registry-schema and default-rule findings fail synthesis too.
  context: { '@aws-cdk/core:validateAgainstDefaultRules': true },
});
const context = (key: string): string | undefined => app.node.tryGetContext(`personal-pod:${key}`);
const profile = EnvironmentConfig.fromName(context('environment') ?? 'dev');
const env = {
  account: context('account') ?? process.env.CDK_DEFAULT_ACCOUNT ?? '111111111111',
  region: context('region') ?? process.env.CDK_DEFAULT_REGION ?? 'eu-west-1',
};

const stage = new PersonalPod(app, `PersonalPod-${profile.environment}`, { profile, env });
synthesizeWithCompliance(app, 'PersonalPod', stage.stacks);
