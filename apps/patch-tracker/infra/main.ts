import { App } from 'aws-cdk-lib';
import { PatchTracker } from './patch-tracker-stage';
import { PatchTrackerPipelineStack } from './pipeline-stack';
import { EnvironmentConfig } from '../../../src';
import { synthesizeWithCompliance } from '../../kit/infra/compliance-synth';

// Entry of the patch tracker: `npx projen patch-tracker`. No AWS credentials needed.
// Profile: `-c patch-tracker:environment=dev|staging|prod` (default dev). The pipeline stack is
// added when `patch-tracker:connectionArn` and `patch-tracker:repository` are set.
const app = new App({
  outdir: process.env.CDK_OUTDIR ?? 'cdk.out',
  context: { '@aws-cdk/core:validateAgainstDefaultRules': true },
});
const context = (key: string): string | undefined => app.node.tryGetContext(`patch-tracker:${key}`);
const profile = EnvironmentConfig.fromName(context('environment') ?? 'dev');
const env = {
  account: context('account') ?? process.env.CDK_DEFAULT_ACCOUNT ?? '111111111111',
  region: context('region') ?? process.env.CDK_DEFAULT_REGION ?? 'eu-west-1',
};
const projects = context('projects')?.split(',');

const stage = new PatchTracker(app, `PatchTracker-${profile.environment}`, { profile, env, projects });
const stacks = [...stage.stacks];

const connectionArn = context('connectionArn');
const repository = context('repository');
let pipelineNote = 'Pipeline: not created (set context patch-tracker:connectionArn and patch-tracker:repository to add it)';
if (connectionArn && repository) {
  const pipeline = new PatchTrackerPipelineStack(app, 'PatchTracker-Pipeline', { env, connectionArn, repository });
  stacks.push(pipeline, ...pipeline.stages.flatMap((s) => s.stacks));
  pipelineNote = `Pipeline: PatchTracker-Pipeline deploys ${repository} to ${pipeline.stages.map((s) => s.stageName).join(' -> ')}`;
}

synthesizeWithCompliance(app, 'Patch tracker', stacks);
process.stdout.write(pipelineNote + '\n');
