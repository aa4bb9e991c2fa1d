import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, NagPack, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import { CloudVault } from './cloudvault-stage';
import { CloudVaultPipelineStack } from './pipeline-stack';
import { printValidationSummary } from './validation-summary';
import { EnvironmentConfig, StrictValidationPlugin } from '../../../src';

// Entry of the CloudVault reference app: `npx projen cloudvault` or `npx cdk synth`.
// Profile: `-c cloudvault:environment=dev|staging|prod` (default dev). No AWS credentials needed.
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

const stage = new CloudVault(app, `CloudVault-${profile.environment}`, {
  profile,
  env,
  alarmEmail: context('alarmEmail'),
  secondaryRegion: context('secondaryRegion'),
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

const packs: NagPack[] = [
  new AwsSolutionsChecks(app), new HIPAASecurityChecks(app), new NIST80053R5Checks(app), new PCIDSS321Checks(app), new ServerlessChecks(app),
];
// The AWS Control Tower proactive controls, strict so that any violation left fails synthesis.
const controlTower = new StrictValidationPlugin(new CfnGuardValidator());
Validations.of(app).addPlugins(...packs, controlTower);

const assembly = app.synth(); // throws, with the report, on any unacknowledged finding
printValidationSummary(assembly, stacks, packs.map((p) => p.readPackName), controlTower.name);
process.stdout.write(pipelineNote + '\n');
