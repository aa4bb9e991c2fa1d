import { Environment, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CloudVault } from './cloudvault-stage';
import { DeliveryPipeline, EnvironmentConfig, EnvironmentName } from '../../../src';

/** Properties of the CloudVault pipeline stack. */
export interface CloudVaultPipelineStackProps extends StackProps {
  /** Account and region of the pipeline. */
  readonly env: Environment;
  /** CodeConnections (CodeStar) connection ARN of the GitHub repository. */
  readonly connectionArn: string;
  /** GitHub repository, `owner/name`. */
  readonly repository: string;
  /**
   * Branch that deploys.
   * @default 'main'
   */
  readonly branch?: string;
  /**
   * Account and region per environment (`dev`, `staging`, `prod`), e.g. one account each.
   * @default - the pipeline's env for every environment
   */
  readonly environments?: Record<string, Environment>;
  /**
   * E-mail for the alarms, findings and budgets of every environment.
   * @default - none
   */
  readonly alarmEmail?: string;
}

/** Deploys the CloudVault stage to dev, then staging, then (after a manual approval) prod. */
export class CloudVaultPipelineStack extends Stack {
  public readonly pipeline: DeliveryPipeline;
  public readonly stages: CloudVault[] = [];

  constructor(scope: Construct, id: string, props: CloudVaultPipelineStackProps) {
    super(scope, id, props);
    this.pipeline = new DeliveryPipeline(this, 'Pipeline', {
      connectionArn: props.connectionArn,
      repository: props.repository,
      branch: props.branch,
    });
    for (const name of [EnvironmentName.DEV, EnvironmentName.STAGING, EnvironmentName.PROD]) {
      // The stage id gives the same stack names as `cdk deploy` of the standalone stage.
      const stage = new CloudVault(this, `CloudVault-${name}`, {
        profile: EnvironmentConfig.fromName(name),
        env: props.environments?.[name] ?? props.env,
        alarmEmail: props.alarmEmail,
      });
      this.pipeline.addEnvironment(name, stage);
      this.stages.push(stage);
    }
  }
}
