import { Environment, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { PatchTracker } from './patch-tracker-stage';
import { DeliveryPipeline, EnvironmentConfig, EnvironmentName } from '../../../src';

export interface PatchTrackerPipelineStackProps extends StackProps {
  readonly env: Environment;
  /** CodeConnections connection ARN of the GitHub repository. */
  readonly connectionArn: string;
  /** GitHub repository, `owner/name`. */
  readonly repository: string;
  /** @default 'main' */
  readonly branch?: string;
}

/** Deploys the patch tracker to dev, then staging, then (after a manual approval) prod. */
export class PatchTrackerPipelineStack extends Stack {
  public readonly pipeline: DeliveryPipeline;
  public readonly stages: PatchTracker[] = [];

  constructor(scope: Construct, id: string, props: PatchTrackerPipelineStackProps) {
    super(scope, id, props);
    this.pipeline = new DeliveryPipeline(this, 'Pipeline', {
      connectionArn: props.connectionArn,
      repository: props.repository,
      branch: props.branch,
      testCommands: ['npx jest apps/patch-tracker'],
      // The same entry as `npx projen patch-tracker`, with the pipeline's context so the assembly
      // holds this stack too (self-mutation) and every compliance gate runs in the pipeline.
      synthCommands: [
        'npx projen bundle:handlers',
        `npx cdk synth --app "node -r esbuild-register apps/patch-tracker/infra/main.ts" -c patch-tracker:connectionArn=${props.connectionArn} -c patch-tracker:repository=${props.repository}`,
      ],
    });
    for (const name of [EnvironmentName.DEV, EnvironmentName.STAGING, EnvironmentName.PROD]) {
      const stage = new PatchTracker(this, `PatchTracker-${name}`, { profile: EnvironmentConfig.fromName(name), env: props.env });
      this.pipeline.addEnvironment(name, stage);
      this.stages.push(stage);
    }
  }
}
