import { App } from 'aws-cdk-lib';
import { CloudVault } from './cloudvault-stage';
import { CloudVaultPipelineStack } from './pipeline-stack';
import { EnvironmentConfig } from '../../../src';
import { synthesizeWithCompliance } from '../../kit/infra/compliance-synth';

// Entry of the CloudVault reference app: `npx projen cloudvault` or `npx cdk synth`.
// Profile: `-c cloudvault:environment=dev|staging|prod` (default dev). No AWS credentials needed.
// A custom domain of the API with `cloudvault:apiDomainName`, `cloudvault:hostedZoneId` and `cloudvault:zoneName`.
// The pipeline stack is added when `cloudvault:connectionArn` and `cloudvault:repository` are set.
const app = new App({
  outdir: process.env.CDK_OUTDIR ?? 'cdk.out',
  // CloudFormation registry-schema and default-rule findings fail synthesis too.
  context: { '@aws-cdk/core:validateAgainstDefaultRules': true },
});
const context = (key: string): string | undefined => app.node.tryGetContext(`cloudvault:${key}`);
const profile = EnvironmentConfig.fromName(context('environment') ?? 'dev');
const env = {
  account: context('account') ?? process.env.CDK_DEFAULT_ACCOUNT ?? '111111111111',
  region: context('region') ?? process.env.CDK_DEFAULT_REGION ?? 'eu-west-1',
};

const apiDomainName = context('apiDomainName');
const hostedZoneId = context('hostedZoneId');
const zoneName = context('zoneName');
if (apiDomainName && !(hostedZoneId && zoneName)) {
  throw new Error('cloudvault:apiDomainName needs cloudvault:hostedZoneId and cloudvault:zoneName (the public hosted zone of the name)');
}
const stage = new CloudVault(app, `CloudVault-${profile.environment}`, {
  profile,
  env,
  alarmEmail: context('alarmEmail'),
  secondaryRegion: context('secondaryRegion'),
  apiDomain: apiDomainName ? { domainName: apiDomainName, hostedZoneId: hostedZoneId!, zoneName: zoneName! } : undefined,
});
const stacks = [...stage.stacks];

const connectionArn = context('connectionArn');
const repository = context('repository');
let pipelineNote = 'Pipeline: not created (set context cloudvault:connectionArn and cloudvault:repository to add it)';
if (connectionArn && repository) {
  const pipeline = new CloudVaultPipelineStack(app, 'CloudVault-Pipeline', { env, connectionArn, repository, alarmEmail: context('alarmEmail') });
  stacks.push(pipeline, ...pipeline.stages.flatMap((s) => s.stacks));
  pipelineNote = `Pipeline: CloudVault-Pipeline deploys ${repository} to ${pipeline.stages.map((s) => s.stageName).join(' -> ')}`;
}

synthesizeWithCompliance(app, 'CloudVault', stacks); // throws, with the report, on any unacknowledged finding
process.stdout.write(pipelineNote + '\n');
