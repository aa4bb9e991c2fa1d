import { App } from 'aws-cdk-lib';
import { PersonalOs } from './personal-os-stage';
import { EnvironmentConfig } from '../../../src';
import { synthesizeWithCompliance } from '../../kit/infra/compliance-synth';

// Entry of the Personal OS app: `npx projen personal-os`. No AWS credentials needed.
// Context: `-c personal-os:environment=dev|staging|prod` (default dev); a custom domain with
// `personal-os:domainName`, `personal-os:hostedZoneId` and `personal-os:zoneName`.
const app = new App({
  outdir: process.env.CDK_OUTDIR ?? 'cdk.out',
  // CloudFormation registry-schema and default-rule findings fail synthesis too.
  context: { '@aws-cdk/core:validateAgainstDefaultRules': true },
});
const context = (key: string): string | undefined => app.node.tryGetContext(`personal-os:${key}`);
const profile = EnvironmentConfig.fromName(context('environment') ?? 'dev');
const env = {
  account: context('account') ?? process.env.CDK_DEFAULT_ACCOUNT ?? '111111111111',
  region: context('region') ?? process.env.CDK_DEFAULT_REGION ?? 'eu-west-1',
};
const domainName = context('domainName');
const hostedZoneId = context('hostedZoneId');
const zoneName = context('zoneName');
if (domainName && !(hostedZoneId && zoneName)) {
  throw new Error('personal-os:domainName needs personal-os:hostedZoneId and personal-os:zoneName (the Route 53 zone of the domain)');
}

const stage = new PersonalOs(app, `PersonalOs-${profile.environment}`, {
  profile,
  env,
  domain: domainName ? { domainName, hostedZoneId: hostedZoneId!, zoneName: zoneName! } : undefined,
});
synthesizeWithCompliance(app, 'Personal OS', stage.stacks);
